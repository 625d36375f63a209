import type { StaffUsersService } from '../../services/staff/staff-users-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import { CreateStaffUserBody, StaffUserSchema, StaffUserWithEnrolment } from '../schemas/staff';

export function staffUserRoutes(host: RouteHost, users: StaffUsersService): void {
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/staff-users',
    summary: 'Create a staff user (the otpauth:// enrolment URI is shown once)',
    tag: 'Staff',
    auth: { staff: ['admin'] },
    body: CreateStaffUserBody,
    responses: { 201: { description: 'Staff user created', schema: StaffUserWithEnrolment } },
    handler: async ({ em, actor, body }) => ({ status: 201, body: await users.create(em, body, actor) }),
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
