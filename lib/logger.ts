import pino from 'pino';

/** Paths that may carry secrets or recipient PII; they never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  'password',
  'email',
  'apiKey',
  'key',
  'token',
  '*.token',
  'phone',
  'phones',
  'body',
  'attributes',
  '*.phone',
  '*.name',
  '*.body',
  '*.password',
  '*.email',
  '*.key',
  '*.attributes',
  'optIn.ip',
  '*.optIn.ip',
];

export function createLogger(level: string, name: string, destination?: pino.DestinationStream): pino.Logger {
  return pino({ level, name, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
