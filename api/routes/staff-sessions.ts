import type { StaffSessionService } from '../../services/staff/staff-sessions';
import { STAFF_ROLES } from '../../services/staff/staff-roles';
import type { StaffUsersService } from '../../services/staff/staff-users-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { CreateStaffSessionBody, StaffMeSchema, StaffSessionSchema } from '../schemas/staff';

export function staffSessionRoutes(host: RouteHost, sessions: StaffSessionService, users: StaffUsersService): void {
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/sessions',
    summary: 'Staff sign-in: email, password and TOTP code give a 12-hour staff token',
    tag: 'Staff',
    auth: 'public',
    body: CreateStaffSessionBody,
    responses: { 201: { description: 'Signed in', schema: StaffSessionSchema } },
    handler: async ({ em, body, req }) => ({ status: 201, body: await sessions.create(em, body, req.ip ?? 'unknown') }),
  });

  defineRoute(host, {
    method: 'delete',
    path: '/staff/v1/sessions/current',
    summary: 'Log out: the staff token used for this request stops working at once',
    tag: 'Staff',
    auth: { staff: STAFF_ROLES },
    responses: { 204: { description: 'Revoked' } },
    handler: async ({ em, actor }) => {
      await sessions.revoke(em, actor);
      return { status: 204 };
    },
  });

  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/me',
    summary: 'The signed-in staff user and the session’s expiry',
    tag: 'Staff',
    auth: { staff: STAFF_ROLES },
    responses: { 200: { description: 'You', schema: StaffMeSchema } },
    handler: async ({ em, actor }) => ({ status: 200, body: await users.whoAmI(em, actor) }),
  });
}
