import { EntitySchema } from '@mikro-orm/core';

/** admin: manage keys (and later the account's termination, webhooks and billing). */
export const API_KEY_SCOPES = ['read', 'write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export class ApiKey {
  id!: string;
  accountId!: string;
  name!: string;
  prefix!: string;
  keyHash!: string;
  scopes!: ApiKeyScope[];
  createdAt!: Date;
  lastUsedAt?: Date | null;
  revokedAt?: Date | null;
}

export const ApiKeySchema = new EntitySchema<ApiKey>({
  class: ApiKey,
  tableName: 'api_keys',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    name: { type: 'text' },
    prefix: { type: 'text' },
    keyHash: { type: 'text' },
    scopes: { type: 'string[]', columnType: 'text[]' },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    lastUsedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    revokedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
