import type { DsrService } from '../../services/dsr/dsr-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams, pageOf } from '../schemas/common';
import {
  CompleteDsrBody,
  CreateStaffDsrBody,
  ExtendDsrBody,
  StaffDsrDetailSchema,
  StaffDsrPageQuery,
  StaffDsrSchema,
} from '../schemas/data-subject-requests';

/** Privacy staff answer data subject requests: log one from an account holder, verify, extend, complete. */
export function staffDataSubjectRequestRoutes(host: RouteHost, dsrs: DsrService): void {
  const tag = 'Staff: data subject requests';
  const auth = { staff: ['privacy', 'admin'] } as const;
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/data-subject-requests',
    summary: "Log a request from an account holder (waits for the requester's identity to be verified)",
    tag,
    auth,
    body: CreateStaffDsrBody,
    responses: { 201: { description: 'Recorded (its process status: GET the request)', schema: StaffDsrSchema } },
    // 410: the account was deleted (its data key destroyed), so nothing about its recipients can be recorded.
    problems: [410, 503],
    handler: async ({ em, actor, body }) => ({ status: 201, body: await dsrs.createByStaff(em, actor, body) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/data-subject-requests',
    summary: 'Every data subject request (optionally one account’s) with status and due date, newest first',
    tag,
    auth,
    query: StaffDsrPageQuery,
    responses: { 200: { description: 'A page of requests', schema: pageOf(StaffDsrSchema) } },
    handler: async ({ em, query }) => ({ status: 200, body: await dsrs.listAll(em, query) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/data-subject-requests/:id',
    summary: 'One request with its live process status',
    tag,
    auth,
    params: IdParams,
    responses: { 200: { description: 'The request', schema: StaffDsrDetailSchema } },
    handler: async ({ em, params }) => ({ status: 200, body: await dsrs.getForStaff(em, params.id) }),
  });
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/data-subject-requests/:id/verify-identity',
    summary: "Record that the requester's identity was verified; the request then proceeds",
    tag,
    auth,
    params: IdParams,
    responses: { 200: { description: 'The request', schema: StaffDsrDetailSchema } },
    problems: [503],
    handler: async ({ em, actor, params }) => ({ status: 200, body: await dsrs.verifyIdentity(em, actor, params.id) }),
  });
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/data-subject-requests/:id/extensions',
    summary: 'Extend the due date (before it passes; at most 60 days in all; the requester is told the reason)',
    tag,
    auth,
    params: IdParams,
    body: ExtendDsrBody,
    responses: { 200: { description: 'The request with its new due date', schema: StaffDsrDetailSchema } },
    problems: [503],
    handler: async ({ em, actor, params, body }) => ({ status: 200, body: await dsrs.extend(em, actor, params.id, body) }),
  });
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/data-subject-requests/:id/complete',
    summary: 'Complete a request the product could not carry out itself (e.g. a rectification), saying what was done',
    tag,
    auth,
    params: IdParams,
    body: CompleteDsrBody,
    responses: { 200: { description: 'The completed request', schema: StaffDsrDetailSchema } },
    problems: [503],
    handler: async ({ em, actor, params, body }) => ({ status: 200, body: await dsrs.complete(em, actor, params.id, body) }),
  });
}
