import { EntitySchema } from '@mikro-orm/core';

export const MEMBERSHIP_ROLES = ['owner', 'admin', 'developer', 'billing'] as const;
export type MembershipRole = (typeof MEMBERSHIP_ROLES)[number];

/** Which holder identity may act on which account, and as what. */
export class AccountMembership {
  userId!: string;
  accountId!: string;
  role!: MembershipRole;
  createdAt!: Date;
  /** When the holder used this account's emailed link; an account sends only with a verified owner. */
  verifiedAt!: Date | null;
}

export const AccountMembershipSchema = new EntitySchema<AccountMembership>({
  class: AccountMembership,
  tableName: 'account_memberships',
  properties: {
    userId: { type: 'uuid', primary: true },
    accountId: { type: 'uuid', primary: true },
    role: { type: 'text' },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    verifiedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
