import { openField, sealField, type DataKey } from '../../lib/crypto/sealed-field';
import { STAFF_TOTP_KEY } from '../system-keys';

const PURPOSE = 'staff_users.totp_secret';

/**
 * Staff TOTP secrets use the one sealed-field format, under the staff-TOTP system key instead of an
 * account's data key: the key's name stands where an account id would, and the binding is the
 * staff user's id, so a secret copied onto another staff user does not open.
 */
const sealingKey = (staffTotpKey: Buffer): DataKey => ({
  accountId: STAFF_TOTP_KEY.name,
  version: STAFF_TOTP_KEY.version,
  key: staffTotpKey,
});

export function sealTotpSecret(staffTotpKey: Buffer, staffUserId: string, secret: Buffer): Buffer {
  return sealField(sealingKey(staffTotpKey), { purpose: PURPOSE, rowId: staffUserId }, secret);
}

export function openTotpSecret(staffTotpKey: Buffer, staffUserId: string, sealed: Buffer): Buffer {
  return openField(sealingKey(staffTotpKey), { purpose: PURPOSE, rowId: staffUserId }, sealed);
}
