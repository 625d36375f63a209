import { openJson, sealJson } from '../../lib/crypto/sealed-json';

export type AttributeValue = string | number | boolean | null;

/** Everything personal about a recipient, stored only sealed with the account's data key. */
export interface ContactPii {
  phone: string;
  name: string | null;
  attributes: Record<string, AttributeValue>;
  optInIp: string | null;
}

export function sealPii(dataKey: Buffer, accountId: string, pii: ContactPii): Buffer {
  return sealJson(dataKey, accountId, pii);
}

export function openPii(dataKey: Buffer, accountId: string, sealed: Buffer): ContactPii {
  return openJson<ContactPii>(dataKey, accountId, sealed);
}
