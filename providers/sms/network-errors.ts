import { CONNECT_TIMEOUT_CODE } from './node-http-fetch';

/**
 * Socket error codes that prove the connection was never established, so the request was never
 * written and nothing can have been sent. Every other network failure (timeout, reset, hang-up) may
 * come after the carrier read the request: ambiguous.
 */
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  CONNECT_TIMEOUT_CODE,
]);

export function provesNotConnected(code: string | undefined): boolean {
  return code !== undefined && NOT_CONNECTED_CODES.has(code);
}

/** The first string `code` along an error's `cause` chain (fetch wraps the socket error twice). */
export function socketErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
