import type { StaffUserView } from '../../services/staff/staff-users-service';

export function describeStaffUser(user: StaffUserView): string {
  return `${user.email} (${user.role}) ${user.disabledAt ? `disabled since ${user.disabledAt}` : 'active'}, id ${user.id}`;
}

export type InvitedStaffUser = StaffUserView & { enrolment: { expiresAt: string; emailed: true } };

/** After a create or a reset: neither factor exists yet, and the token went to the staff member only. */
export function invitedText(user: InvitedStaffUser): string {
  return [
    `Staff user ${describeStaffUser(user)}.`,
    `A one-time enrolment token was emailed to ${user.email} (valid until ${user.enrolment.expiresAt}):`,
    'they choose their password and add their authenticator with `npm run staff -- enrol`.',
  ].join('\n');
}
