import type { SubprocessorsService } from '../../services/subprocessors/subprocessors-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import {
  ChangelogEntrySchema,
  ObjectionBody,
  ObjectionListSchema,
  ObjectionSchema,
  SubprocessorListSchema,
} from '../schemas/subprocessors';

export function subprocessorRoutes(host: RouteHost, subprocessors: SubprocessorsService): void {
  defineRoute(host, {
    method: 'get',
    path: '/v1/subprocessors',
    summary: 'Every subprocessor: active ones, and announced ones pending until their effective date',
    tag: 'Subprocessors',
    auth: 'public',
    responses: { 200: { description: 'The subprocessor list', schema: SubprocessorListSchema } },
    handler: async ({ em }) => ({ status: 200, body: await subprocessors.list(em) }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/changelog',
    summary: 'Public changelog: subprocessor announcements and activations, policy versions in force (newest first)',
    tag: 'Subprocessors',
    auth: 'public',
    query: PageQuery,
    responses: { 200: { description: 'A page of entries', schema: pageOf(ChangelogEntrySchema) } },
    handler: async ({ em, query }) => ({ status: 200, body: await subprocessors.changelog(em, query) }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/subprocessors/:id/objections',
    summary: 'Object to an announced subprocessor (until its effective date): while unresolved, this account’s data never reaches it',
    tag: 'Subprocessors',
    auth: 'admin',
    params: IdParams,
    body: ObjectionBody,
    responses: { 201: { description: 'The objection', schema: ObjectionSchema } },
    handler: async ({ em, actor, params, body }) => ({ status: 201, body: await subprocessors.object(em, actor, params.id, body.reason) }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/subprocessors/:id/objections',
    summary: 'This account’s objection to a subprocessor and how staff resolved it',
    tag: 'Subprocessors',
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The account’s objections (at most one)', schema: ObjectionListSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await subprocessors.accountObjections(em, actor, params.id) }),
  });
}
