import { EntitySchema } from '@mikro-orm/core';

/** An account's data key, wrapped by MASTER_KEY (format in lib/crypto/keys.ts). */
export class AccountDataKey {
  accountId!: string;
  /** Null once destroyed: the account's sealed data can never be opened again. */
  wrappedKey?: Buffer | null;
  /** Written into every ciphertext sealed under this key (lib/crypto/sealed-field.ts). */
  keyVersion!: number;
  /** Bumped by destroying; every process compares it with its cached copy on each use. */
  generation!: number;
  /** Which MASTER_KEY wrapped it (a fingerprint), so `npm run keys:rotate` finds what to rewrap. */
  masterKeyId?: string | null;
  createdAt!: Date;
  destroyedAt?: Date | null;
}

export const AccountDataKeySchema = new EntitySchema<AccountDataKey>({
  class: AccountDataKey,
  tableName: 'account_data_keys',
  properties: {
    accountId: { type: 'uuid', primary: true },
    wrappedKey: { type: 'blob', columnType: 'bytea', nullable: true },
    keyVersion: { type: 'integer' },
    generation: { type: 'integer' },
    masterKeyId: { type: 'text', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    destroyedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
