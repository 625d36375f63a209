import { EntitySchema } from '@mikro-orm/core';

export class User {
  id!: string;
  accountId!: string;
  email!: string;
  passwordHash!: string;
  role!: string;
  createdAt!: Date;
}

export const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: 'users',
  properties: {
    id: { type: 'uuid', primary: true },
    accountId: { type: 'uuid' },
    email: { type: 'text' },
    passwordHash: { type: 'text' },
    role: { type: 'text' },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
