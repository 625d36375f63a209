import { open, seal, sealInto } from './aes-gcm';

/**
 * An account's unwrapped data key. `version` is written into every ciphertext sealed under it, so
 * a later data-key rotation can tell which key a field needs.
 */
export interface DataKey {
  accountId: string;
  version: number;
  key: Uint8Array;
}

/**
 * Where a sealed value lives. It is the ciphertext's AAD, so a value only opens in the row (and
 * column) it was sealed for: copying one contact's `pii` onto another contact fails to open.
 */
export interface FieldBinding {
  /** `<table>.<column>`, e.g. `contacts.pii`. */
  purpose: string;
  /** The row's id (or a composite such as `<import id>:<chunk no>`). */
  rowId: string;
}

/** Format 1: [0x01][data-key version, uint32 BE] iv(12) || ciphertext || tag(16). */
export const SEALED_FIELD_FORMAT = 1;
const HEADER_BYTES = 5;

/** A sealed value that does not open: tampered, moved to another row, or sealed under another key. */
export class SealedFieldError extends Error {
  constructor(
    readonly purpose: string,
    readonly rowId: string,
  ) {
    super(`${purpose} of ${rowId} failed its integrity check`);
    this.name = 'SealedFieldError';
  }
}

function header(version: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h[0] = SEALED_FIELD_FORMAT;
  h.writeUInt32BE(version, 1);
  return h;
}

/** The AAD: the header (format and key version) and a canonical, unambiguous encoding of the binding. */
export function fieldAad(accountId: string, binding: FieldBinding, headerBytes: Buffer): Buffer {
  return Buffer.concat([headerBytes, Buffer.from(JSON.stringify([binding.purpose, accountId, binding.rowId]))]);
}

export function sealField(dataKey: DataKey, binding: FieldBinding, plaintext: Buffer): Buffer {
  const h = header(dataKey.version);
  return Buffer.concat([h, seal(dataKey.key, plaintext, fieldAad(dataKey.accountId, binding, h))]);
}

/**
 * sealField for many rows of one column: the header is built once and each row's output written
 * in one allocation (the same bytes sealField gives).
 */
export function fieldSealer(dataKey: DataKey, purpose: string): (rowId: string, plaintext: Buffer) => Buffer {
  const h = header(dataKey.version);
  return (rowId, plaintext) => {
    const aad = fieldAad(dataKey.accountId, { purpose, rowId }, h);
    return sealInto(dataKey.key, plaintext, aad, h);
  };
}

export function openField(dataKey: DataKey, binding: FieldBinding, sealed: Buffer): Buffer {
  const h = sealed.subarray(0, HEADER_BYTES);
  if (sealed.length < HEADER_BYTES + 28 || h[0] !== SEALED_FIELD_FORMAT || h.readUInt32BE(1) !== dataKey.version) {
    throw new SealedFieldError(binding.purpose, binding.rowId);
  }
  try {
    return open(dataKey.key, sealed.subarray(HEADER_BYTES), fieldAad(dataKey.accountId, binding, h));
  } catch {
    throw new SealedFieldError(binding.purpose, binding.rowId);
  }
}
