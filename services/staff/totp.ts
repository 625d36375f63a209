import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as every authenticator app reads it: HMAC-SHA1, 6 digits, 30-second steps. */
const TOTP_PARAMETERS = { issuer: 'MassiveSMS', algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** One step either side: a code typed as it rolled over, or a phone clock a few seconds off, still counts. */
const TOTP_WINDOW = 1;
/** 160 bits, the length RFC 4226 recommends for HMAC-SHA1 secrets. */
const TOTP_SECRET_BYTES = 20;

function totpFor(secret: Buffer, label = 'staff'): TOTP {
  return new TOTP({ ...TOTP_PARAMETERS, label, secret: new Secret({ buffer: new Uint8Array(secret).buffer }) });
}

export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

/** The `otpauth://totp/...` URI an authenticator app enrols from (shown once, at creation). */
export function otpauthUri(secret: Buffer, email: string): string {
  return totpFor(secret, email).toString();
}

/** The time step `code` belongs to at `nowMs`, or null when it matches no step in the window. */
export function matchingTotpStep(secret: Buffer, code: string, nowMs: number): number | null {
  const totp = totpFor(secret);
  const delta = totp.validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW });
  return delta === null ? null : totp.counter({ timestamp: nowMs }) + delta;
}
