import type { SubprocessorsService } from '../../services/subprocessors/subprocessors-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams } from '../schemas/common';
import {
  AnnounceSubprocessorBody,
  ObjectionListSchema,
  ObjectionParams,
  ObjectionSchema,
  ResolveObjectionBody,
  SubprocessorListSchema,
  SubprocessorSchema,
} from '../schemas/subprocessors';

export function staffSubprocessorRoutes(host: RouteHost, subprocessors: SubprocessorsService): void {
  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/subprocessors',
    summary: 'Announce a subprocessor (effective at least 30 days later): changelog, emails, then activation (subprocessor:<id>)',
    tag: 'Staff: subprocessors',
    auth: { staff: ['privacy'] },
    body: AnnounceSubprocessorBody,
    problems: [503],
    responses: { 201: { description: 'The announced subprocessor (pending)', schema: SubprocessorSchema } },
    handler: async ({ em, actor, body }) => ({ status: 201, body: await subprocessors.announce(em, actor, body) }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/subprocessors',
    summary: 'Every subprocessor with its status',
    tag: 'Staff: subprocessors',
    auth: { staff: ['privacy', 'security', 'admin'] },
    responses: { 200: { description: 'The subprocessor list', schema: SubprocessorListSchema } },
    handler: async ({ em }) => ({ status: 200, body: await subprocessors.list(em) }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/subprocessors/:id/objections',
    summary: 'Every customer objection to a subprocessor',
    tag: 'Staff: subprocessors',
    auth: { staff: ['privacy'] },
    params: IdParams,
    responses: { 200: { description: 'The objections, oldest first', schema: ObjectionListSchema } },
    handler: async ({ em, params }) => ({ status: 200, body: await subprocessors.objections(em, params.id) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/subprocessors/:id/objections/:objectionId/resolution',
    summary: 'Resolve an objection: resolved (the account’s data may reach it) or unresolved (it stays out)',
    tag: 'Staff: subprocessors',
    auth: { staff: ['privacy'] },
    params: ObjectionParams,
    body: ResolveObjectionBody,
    responses: { 200: { description: 'The objection', schema: ObjectionSchema } },
    handler: async ({ em, actor, params, body }) => ({
      status: 200,
      body: await subprocessors.resolve(em, actor, params.id, params.objectionId, body.status),
    }),
  });
}
