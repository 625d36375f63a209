import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed links for a terminated account: `export` (GET /v1/account/export/:token) and `confirm`
 * (POST /v1/account/termination/confirm). They work although every API key is revoked, so they carry
 * their own proof: an HMAC under the termination system key over purpose, account and expiry. The
 * expiry is the termination's own deletion deadline (`delete_by`, its instant + 30 days), so it also
 * names the termination instance: the service accepts a token only while it equals the current
 * termination's deadline, so a link from before a reactivation dies with that termination. Nothing
 * is stored; a token stops working at its expiry or once the termination is no longer in its grace
 * period (the routes check the termination's status).
 */
export type TerminationTokenPurpose = 'export' | 'confirm';

const PREFIX: Record<TerminationTokenPurpose, string> = { export: 'mse_', confirm: 'msc_' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a token looks like: checked by the route's zod schema before any HMAC is computed. */
export const TERMINATION_TOKEN_PATTERN = /^ms[ec]_[A-Za-z0-9_-]{40,80}\.[A-Za-z0-9_-]{43}$/;

const mac = (key: Buffer, purpose: TerminationTokenPurpose, payload: string) =>
  createHmac('sha256', key).update(`massivesms/termination-token/${purpose}\n`).update(payload).digest();

export function signTerminationToken(key: Buffer, purpose: TerminationTokenPurpose, accountId: string, expiresAt: Date): string {
  const payload = Buffer.from(`${accountId}.${expiresAt.getTime()}`).toString('base64url');
  return `${PREFIX[purpose]}${payload}.${mac(key, purpose, payload).toString('base64url')}`;
}

/** The account and termination deadline a valid, unexpired token of this purpose names, or null (never says why). */
export function verifyTerminationToken(
  key: Buffer,
  purpose: TerminationTokenPurpose,
  token: string,
  now = Date.now(),
): { accountId: string; deleteBy: number } | null {
  if (!token.startsWith(PREFIX[purpose]) || !TERMINATION_TOKEN_PATTERN.test(token)) return null;
  const [payload, signature] = token.slice(PREFIX[purpose].length).split('.') as [string, string];
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(key, purpose, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const [accountId, expiresMs] = Buffer.from(payload, 'base64url').toString().split('.');
  if (!accountId || !UUID.test(accountId) || !expiresMs || Number(expiresMs) <= now) return null;
  return { accountId, deleteBy: Number(expiresMs) };
}
