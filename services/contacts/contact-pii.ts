import type { DataKey, FieldBinding } from '../../lib/crypto/sealed-field';
import { openJson, sealJson } from '../../lib/crypto/sealed-json';

export type AttributeValue = string | number | boolean | null;

/** Everything personal about a recipient, stored only sealed with the account's data key. */
export interface ContactPii {
  phone: string;
  name: string | null;
  attributes: Record<string, AttributeValue>;
  optInIp: string | null;
}

/** contacts.pii is bound to its contact's id: it opens in no other row. */
export const contactPiiBinding = (contactId: string): FieldBinding => ({ purpose: 'contacts.pii', rowId: contactId });

export function sealPii(dataKey: DataKey, contactId: string, pii: ContactPii): Buffer {
  return sealJson(dataKey, contactPiiBinding(contactId), pii);
}

export function openPii(dataKey: DataKey, contactId: string, sealed: Buffer): ContactPii {
  return openJson<ContactPii>(dataKey, contactPiiBinding(contactId), sealed);
}
