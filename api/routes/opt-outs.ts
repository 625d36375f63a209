import type { OptOutsService } from '../../services/opt-outs';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams, pageOf } from '../schemas/common';
import { OptOutBody, OptOutListQuery, OptOutSchema, RemoveOptOutBody } from '../schemas/opt-outs';

export function optOutRoutes(host: RouteHost, optOuts: OptOutsService): void {
  const tag = 'Opt-outs';
  defineRoute(host, {
    method: 'post',
    path: '/v1/opt-outs',
    summary: 'Opt a number out of all messages from this account',
    tag,
    auth: 'write',
    body: OptOutBody,
    responses: {
      201: { description: 'Opted out', schema: OptOutSchema },
      200: { description: 'Already opted out', schema: OptOutSchema },
    },
    // The number is PII: a replay re-renders the opt-out as it is now (404 once removed).
    replay: { resource: 'opt_out', render: async ({ em, actor }, id, status) => ({ status, body: await optOuts.get(em, actor, id) }) },
    handler: async ({ em, actor, body }) => {
      const { created, optOut } = await optOuts.add(em, actor, body);
      return { status: created ? 201 : 200, body: optOut };
    },
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/opt-outs',
    summary: 'List opt-outs, or look one number up with ?phone=',
    tag,
    auth: 'read',
    query: OptOutListQuery,
    responses: { 200: { description: 'A page of opt-outs (with phone: that number’s, or none)', schema: pageOf(OptOutSchema) } },
    handler: async ({ em, actor, query }) => ({
      status: 200,
      body: query.phone === undefined ? await optOuts.list(em, actor, query) : await optOuts.findByPhone(em, actor, query.phone),
    }),
  });
  defineRoute(host, {
    method: 'delete',
    path: '/v1/opt-outs/:id',
    summary: 'Remove an opt-out the account added itself (a reason is required and audited)',
    tag,
    auth: 'write',
    params: IdParams,
    body: RemoveOptOutBody,
    responses: { 204: { description: 'Removed' } },
    handler: async ({ em, actor, params, body }) => {
      await optOuts.remove(em, actor, params.id, body.reason);
      return { status: 204 };
    },
  });
}
