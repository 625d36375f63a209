import { hkdfSync } from 'node:crypto';
import { open, seal } from './aes-gcm';

/**
 * One MASTER_KEY as this process uses it: the key that wraps data keys (HKDF label
 * `massivesms/data-key-wrap/v1`) and its id, a fingerprint (HKDF label `massivesms/master-key-id/v1`,
 * 8 bytes, hex) that says which master key wrapped a stored key without revealing it.
 */
export interface MasterKey {
  id: string;
  wrapKey: Buffer;
}

/** The current master key (wraps everything new) and, during a rotation, the previous one (unwraps only). */
export interface MasterKeys {
  current: MasterKey;
  previous: MasterKey | null;
}

const derive = (master: Buffer, info: string, bytes = 32) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, bytes));

export function masterKeyFrom(masterKeyBase64: string): MasterKey {
  const master = Buffer.from(masterKeyBase64, 'base64');
  return { id: derive(master, 'massivesms/master-key-id/v1', 8).toString('hex'), wrapKey: derive(master, 'massivesms/data-key-wrap/v1') };
}

export function deriveMasterKeys(current: string, previous?: string): MasterKeys {
  return { current: masterKeyFrom(current), previous: previous ? masterKeyFrom(previous) : null };
}

/**
 * The phone-hash key a database starts with, derived once from the MASTER_KEY in use then and from
 * then on stored wrapped (services/system-keys.ts), so rotating MASTER_KEY does not change phone hashes.
 */
export function initialPhoneHashKey(masterKeyBase64: string): Buffer {
  return derive(Buffer.from(masterKeyBase64, 'base64'), 'massivesms/phone-hash/v1');
}

/** The audit-MAC key a database starts with (its own label); stored wrapped like the phone-hash key. */
export function initialAuditMacKey(masterKeyBase64: string): Buffer {
  return derive(Buffer.from(masterKeyBase64, 'base64'), 'massivesms/audit-mac/v1');
}

/** The key staff TOTP secrets are sealed under, as a database starts with it; stored wrapped like the others. */
export function initialStaffTotpKey(masterKeyBase64: string): Buffer {
  return derive(Buffer.from(masterKeyBase64, 'base64'), 'massivesms/staff-totp/v1');
}

/**
 * A wrapped key: [0x01][master key id, 8 bytes] iv(12) || ciphertext || tag(16), AES-256-GCM under
 * the master key's wrap key, with the header and the key's binding (`[purpose, owner, version]`
 * as JSON) as AAD.
 */
export const WRAPPED_KEY_FORMAT = 1;
const HEADER_BYTES = 9;

export class UnwrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnwrapError';
  }
}

export interface KeyBinding {
  purpose: string;
  owner: string;
  version: number;
}

function aad(header: Buffer, binding: KeyBinding): Buffer {
  return Buffer.concat([header, Buffer.from(JSON.stringify([binding.purpose, binding.owner, binding.version]))]);
}

export function wrapKey(master: MasterKey, binding: KeyBinding, key: Uint8Array): Buffer {
  const header = Buffer.concat([Buffer.from([WRAPPED_KEY_FORMAT]), Buffer.from(master.id, 'hex')]);
  return Buffer.concat([header, seal(master.wrapKey, Buffer.from(key), aad(header, binding))]);
}

/** The id of the master key that wrapped this key, or null for a pre-hardening (headerless) key. */
export function wrappedBy(wrapped: Buffer): string | null {
  return wrapped.length === HEADER_BYTES + 60 && wrapped[0] === WRAPPED_KEY_FORMAT
    ? wrapped.subarray(1, HEADER_BYTES).toString('hex')
    : null;
}

export function unwrapKey(masters: MasterKeys, binding: KeyBinding, wrapped: Buffer): Buffer {
  const id = wrappedBy(wrapped);
  if (id === null) {
    throw new UnwrapError(
      `${binding.purpose} of ${binding.owner} is not in the wrapped-key format (a pre-hardening dev database must be recreated)`,
    );
  }
  const master = [masters.current, masters.previous].find((m) => m?.id === id);
  if (!master) throw new UnwrapError(`${binding.purpose} of ${binding.owner} is wrapped by master key ${id}, which is not configured`);
  try {
    return open(master.wrapKey, wrapped.subarray(HEADER_BYTES), aad(wrapped.subarray(0, HEADER_BYTES), binding));
  } catch {
    throw new UnwrapError(`${binding.purpose} of ${binding.owner} failed its integrity check under master key ${id}`);
  }
}
