import { EntitySchema } from '@mikro-orm/core';

/** A number the account sends from; inbound messages are routed to the account by it. Globally unique. */
export class SenderNumber {
  id!: string;
  accountId!: string;
  phoneE164!: string;
  label?: string | null;
  createdAt!: Date;
}

export const SenderNumberSchema = new EntitySchema<SenderNumber>({
  class: SenderNumber,
  tableName: 'sender_numbers',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    phoneE164: { type: 'text' },
    label: { type: 'text', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
