import { EntitySchema } from '@mikro-orm/core';

export class Account {
  id!: string;
  name!: string;
  status!: 'active' | 'closed' | 'terminated' | 'deleted';
  createdAt!: Date;
  updatedAt!: Date;
  /** Set once, by the customer-creation activity after sign-up (null until then). */
  stripeCustomerId?: string | null;
}

export const AccountSchema = new EntitySchema<Account>({
  class: Account,
  tableName: 'accounts',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'text' },
    status: { type: 'text' },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', columnType: 'timestamptz' },
    stripeCustomerId: { type: 'text', nullable: true },
  },
});
