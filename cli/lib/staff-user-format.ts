import type { StaffUserView } from '../../services/staff/staff-users-service';

export function describeStaffUser(user: StaffUserView): string {
  return `${user.email} (${user.role}) ${user.disabledAt ? `disabled since ${user.disabledAt}` : 'active'}, id ${user.id}`;
}

/** Shown once, right after a staff user is created: the enrolment URI is never shown again. */
export function enrolmentText(user: StaffUserView & { otpauthUri: string }): string {
  return [
    `Created staff user ${describeStaffUser(user)}.`,
    'Add this to an authenticator app now (it is not shown again); sign in with its codes:',
    user.otpauthUri,
  ].join('\n');
}
