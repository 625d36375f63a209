import { randomBytes } from 'node:crypto';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  /** How long the answer took, in ms. */
  tookMs: number;
}

/** One request to a spawned API process, with a ceiling so a hang fails the test instead of stalling it. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { auth?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const started = Date.now();
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(options.auth ? { Authorization: `Bearer ${options.auth}` } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, headers: res.headers, body, tookMs: Date.now() - started };
}

/** Signs up through a spawned API process's public API: the account id and its first API key. */
export async function signUpOver(baseUrl: string, name = 'Acme'): Promise<{ accountId: string; apiKeyId: string; apiKey: string }> {
  const res = await call(baseUrl, 'POST', '/v1/accounts', {
    body: { accountName: name, email: `owner-${randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery staple' },
  });
  if (res.status !== 201) throw new Error(`sign-up answered ${res.status}: ${JSON.stringify(res.body)}`);
  const account = res.body.account as { id: string };
  const apiKey = res.body.apiKey as { id: string; key: string };
  return { accountId: account.id, apiKeyId: apiKey.id, apiKey: apiKey.key };
}
