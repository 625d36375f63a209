import { EntitySchema } from '@mikro-orm/core';

/** A holder identity: one per email (unique on lower(email)); its accounts are its account_memberships. */
export class User {
  id!: string;
  email!: string;
  /** Null for an identity that only ever signed in with Google. */
  passwordHash!: string | null;
  /** Set when the holder used an emailed verification link; until then no account of theirs may send. */
  emailVerifiedAt!: Date | null;
  createdAt!: Date;
}

export const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: 'users',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'text' },
    passwordHash: { type: 'text', nullable: true },
    emailVerifiedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
