import type { SenderNumbersService } from '../../services/messaging/sender-numbers';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import { AvailableNumbersQuery, AvailableNumbersSchema, SenderNumberBody, SenderNumberSchema } from '../schemas/sender-numbers';

export function senderNumberRoutes(host: RouteHost, senderNumbers: SenderNumbersService): void {
  const tag = 'Sender numbers';
  defineRoute(host, {
    method: 'get',
    path: '/v1/available-numbers',
    summary: "Search the carrier's inventory for numbers this account can order",
    tag,
    auth: 'read',
    query: AvailableNumbersQuery,
    responses: { 200: { description: 'Numbers for sale now', schema: AvailableNumbersSchema } },
    handler: async ({ actor, query }) => ({
      status: 200,
      body: { data: (await senderNumbers.search(actor, query)).map((phone) => ({ phone })) },
    }),
  });
  defineRoute(host, {
    method: 'post',
    path: '/v1/sender-numbers',
    summary:
      'Order a number from the carriers (one from the search, or the first available in an area code); inbound to it is routed to this account',
    tag,
    auth: 'write',
    body: SenderNumberBody,
    responses: {
      202: {
        description: 'Ordered: the number-order process runs; poll GET /v1/sender-numbers/{id} until active',
        schema: SenderNumberSchema,
      },
      200: { description: 'This account already holds or has ordered this number', schema: SenderNumberSchema },
    },
    handler: async ({ em, actor, body }) => {
      const { created, number } = await senderNumbers.order(em, actor, body);
      return { status: created ? 202 : 200, body: number };
    },
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/sender-numbers',
    summary: 'List sender numbers (released ones included, with their status)',
    tag,
    auth: 'read',
    query: PageQuery,
    responses: { 200: { description: 'A page of sender numbers', schema: pageOf(SenderNumberSchema) } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await senderNumbers.list(em, actor, query) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/sender-numbers/:id',
    summary: 'Get a sender number and where its order or release is',
    tag,
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The sender number', schema: SenderNumberSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await senderNumbers.get(em, actor, params.id) }),
  });
  defineRoute(host, {
    method: 'delete',
    path: '/v1/sender-numbers/:id',
    summary:
      'Release a number: it sends nothing more at once (queued messages from it are suppressed, campaigns from it pause), is given back at the carriers and quarantined before anyone else can order it',
    tag,
    auth: 'write',
    params: IdParams,
    responses: { 202: { description: 'Releasing', schema: SenderNumberSchema } },
    handler: async ({ em, actor, params }) => ({ status: 202, body: await senderNumbers.release(em, actor, params.id) }),
  });
}
