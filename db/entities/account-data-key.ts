import { EntitySchema } from '@mikro-orm/core';

export class AccountDataKey {
  accountId!: string;
  wrappedKey?: Buffer | null;
  createdAt!: Date;
  destroyedAt?: Date | null;
}

export const AccountDataKeySchema = new EntitySchema<AccountDataKey>({
  class: AccountDataKey,
  tableName: 'account_data_keys',
  properties: {
    accountId: { type: 'uuid', primary: true },
    wrappedKey: { type: 'blob', columnType: 'bytea', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    destroyedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
