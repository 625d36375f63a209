import { open, seal } from '../../lib/crypto/aes-gcm';

export type AttributeValue = string | number | boolean | null;

/** Everything personal about a recipient, stored only sealed with the account's data key. */
export interface ContactPii {
  phone: string;
  name: string | null;
  attributes: Record<string, AttributeValue>;
  optInIp: string | null;
}

export function sealPii(dataKey: Buffer, accountId: string, pii: ContactPii): Buffer {
  return seal(dataKey, Buffer.from(JSON.stringify(pii)), Buffer.from(accountId));
}

export function openPii(dataKey: Buffer, accountId: string, sealed: Buffer): ContactPii {
  return JSON.parse(open(dataKey, sealed, Buffer.from(accountId)).toString('utf8')) as ContactPii;
}
