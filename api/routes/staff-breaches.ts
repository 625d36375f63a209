import type { BreachesService } from '../../services/breaches/breaches-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { ApproveBreachBody, BreachSchema, BreachUpdateBody, DeclareBreachBody } from '../schemas/breaches';
import { IdParams, PageQuery, pageOf } from '../schemas/common';

const BREACH_ROLES = ['security', 'privacy'] as const;

export function staffBreachRoutes(host: RouteHost, breaches: BreachesService): void {
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/breaches',
    summary: 'Declare a personal-data breach: starts its 72-hour notice process (breach:<id>)',
    tag: 'Staff: breaches',
    auth: { staff: BREACH_ROLES },
    body: DeclareBreachBody,
    problems: [503],
    responses: { 201: { description: 'The breach, in the register', schema: BreachSchema } },
    handler: async ({ em, actor, body }) => ({ status: 201, body: await breaches.declare(em, actor, body) }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/breaches',
    summary: 'The breach register: every breach with its timeline, including those that needed no notice',
    tag: 'Staff: breaches',
    auth: { staff: BREACH_ROLES },
    query: PageQuery,
    responses: { 200: { description: 'A page of breaches, newest first', schema: pageOf(BreachSchema) } },
    handler: async ({ em, query }) => ({ status: 200, body: await breaches.list(em, query) }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/breaches/:id',
    summary: 'One breach with its timeline',
    tag: 'Staff: breaches',
    auth: { staff: BREACH_ROLES },
    params: IdParams,
    responses: { 200: { description: 'The breach', schema: BreachSchema } },
    handler: async ({ em, params }) => ({ status: 200, body: await breaches.get(em, params.id) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/breaches/:id/approval',
    summary: 'Approve the assessment (optionally completing it): the full notice goes out',
    tag: 'Staff: breaches',
    auth: { staff: BREACH_ROLES },
    params: IdParams,
    body: ApproveBreachBody,
    problems: [503],
    responses: { 200: { description: 'The approved breach', schema: BreachSchema } },
    handler: async ({ em, actor, params, body }) => ({ status: 200, body: await breaches.approve(em, actor, params.id, body) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/breaches/:id/updates',
    summary: 'Post a further phase of information: sent to every affected controller once a notice has gone out',
    tag: 'Staff: breaches',
    auth: { staff: BREACH_ROLES },
    params: IdParams,
    body: BreachUpdateBody,
    problems: [503],
    responses: { 201: { description: 'The breach with the update', schema: BreachSchema } },
    handler: async ({ em, actor, params, body }) => ({ status: 201, body: await breaches.addUpdate(em, actor, params.id, body.summary) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/breaches/:id/close',
    summary: 'Close the breach process once every notice and update has gone out',
    tag: 'Staff: breaches',
    auth: { staff: BREACH_ROLES },
    params: IdParams,
    problems: [503],
    responses: { 200: { description: 'The breach', schema: BreachSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await breaches.close(em, actor, params.id) }),
  });
}
