import { EntitySchema } from '@mikro-orm/core';

export class OptOut {
  id!: string;
  accountId!: string;
  phoneHash!: Buffer;
  phonePii?: Buffer | null;
  source!: string;
  reason?: string | null;
  createdAt!: Date;
}

export const OptOutSchema = new EntitySchema<OptOut>({
  class: OptOut,
  tableName: 'opt_outs',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    phoneHash: { type: 'blob', columnType: 'bytea' },
    phonePii: { type: 'blob', columnType: 'bytea', nullable: true },
    source: { type: 'text' },
    reason: { type: 'text', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
