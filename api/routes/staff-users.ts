import type { StaffEnrolmentService } from '../../services/staff/staff-enrolments';
import type { StaffUsersService } from '../../services/staff/staff-users-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import { CreateStaffUserBody, EnrolStaffBody, StaffEnrolled, StaffUserInvited, StaffUserSchema } from '../schemas/staff';

export function staffUserRoutes(host: RouteHost, users: StaffUsersService, enrolments: StaffEnrolmentService): void {
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/staff-users',
    summary: 'Create a staff user: they get a one-time enrolment token by email and set their own password and TOTP',
    tag: 'Staff',
    auth: { staff: ['admin'] },
    body: CreateStaffUserBody,
    responses: { 201: { description: 'Staff user created, enrolment token emailed', schema: StaffUserInvited } },
    // 503: no email provider, or the email could not be sent.
    problems: [503],
    handler: async ({ em, actor, body }) => ({ status: 201, body: await enrolments.invite(em, body, actor) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/staff-users/:id/reset-enrolment',
    summary: "Reset a staff user's password and TOTP: sessions revoked, a new enrolment token emailed",
    tag: 'Staff',
    auth: { staff: ['admin'] },
    params: IdParams,
    responses: { 200: { description: 'Factors cleared, enrolment token emailed', schema: StaffUserInvited } },
    problems: [503],
    handler: async ({ em, actor, params }) => ({ status: 200, body: await enrolments.reset(em, actor, params.id) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/enrolments',
    summary: 'Enrol with the emailed one-time token: choose a password, receive the otpauth:// URI (once)',
    tag: 'Staff',
    auth: 'public',
    body: EnrolStaffBody,
    responses: { 200: { description: 'Enrolled: sign in with the password and the authenticator codes', schema: StaffEnrolled } },
    handler: async ({ em, body }) => ({ status: 200, body: await enrolments.enrol(em, body.token, body.password) }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/staff-users',
    summary: 'List staff users (never their secrets)',
    tag: 'Staff',
    auth: { staff: ['admin'] },
    query: PageQuery,
    responses: { 200: { description: 'A page of staff users, oldest first', schema: pageOf(StaffUserSchema) } },
    handler: async ({ em, query }) => ({ status: 200, body: await users.list(em, query) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/staff-users/:id/disable',
    summary: 'Disable a staff user: sign-in refused, every live session revoked (never the last active admin)',
    tag: 'Staff',
    auth: { staff: ['admin'] },
    params: IdParams,
    responses: { 200: { description: 'The disabled staff user', schema: StaffUserSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await users.disable(em, actor, params.id) }),
  });
}
