import type { DsrService } from '../../services/dsr/dsr-service';
import type { AccountActor } from '../../services/actor';
import type { ApiDeps } from '../../services/deps';
import { defineRoute, type RouteHost } from '../http/define-route';
import type { ReplayRule } from '../http/idempotency';
import { jsonWithTrailingArray, streamGenerated } from '../http/stream-response';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import { CreateDsrBody, DsrDetailSchema, DsrExportSchema, DsrSchema } from '../schemas/data-subject-requests';

/** A customer's data subject requests about its own recipients. */
export function dataSubjectRequestRoutes(host: RouteHost, dsrs: DsrService, deps: Pick<ApiDeps, 'config' | 'logger'>): void {
  const tag = 'Data subject requests';
  // The answer holds the subject's number: a replay re-renders the request as it is now.
  const replay: ReplayRule<AccountActor> = {
    resource: 'data_subject_request',
    render: async ({ em, actor }, id, status) => ({ status, body: await dsrs.getForAccount(em, actor, id) }),
  };
  defineRoute(host, {
    method: 'post',
    path: '/v1/data-subject-requests',
    summary: 'Record a data subject request about one of your recipients (due in 30 days; acted on at once where the product can)',
    tag,
    auth: 'write',
    body: CreateDsrBody,
    responses: { 201: { description: 'Recorded (its process status: GET the request)', schema: DsrSchema } },
    problems: [503],
    replay,
    handler: async ({ em, actor, body }) => ({ status: 201, body: await dsrs.createForCustomer(em, actor, body) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/data-subject-requests',
    summary: 'List your data subject requests with status and due date, newest first',
    tag,
    auth: 'read',
    query: PageQuery,
    responses: { 200: { description: 'A page of requests', schema: pageOf(DsrSchema) } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await dsrs.listForAccount(em, actor, query) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/data-subject-requests/:id',
    summary: 'One data subject request, with its live process status',
    tag,
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The request', schema: DsrDetailSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await dsrs.getForAccount(em, actor, params.id) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/data-subject-requests/:id/export',
    summary: "The subject's data (access and portability requests, once completed): contact, lists, opt-out, message metadata",
    tag,
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The export, machine-readable JSON', schema: DsrExportSchema } },
    handler: async ({ em, actor, params, res }) => {
      // Streamed: the subject's message history can be long, and is never built in memory.
      const { head, messages } = await dsrs.openExportForAccount(em, actor, params.id);
      await streamGenerated(res, messages, {
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
        serialize: jsonWithTrailingArray(head, 'messages'),
        stallMs: deps.config.EXPORT_STALL_SECONDS * 1000,
        logger: deps.logger,
      });
      return { status: 200 };
    },
  });
}
