import type { SenderNumbersService } from '../../services/messaging/sender-numbers';
import { defineRoute, type RouteHost } from '../http/define-route';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import { SenderNumberBody, SenderNumberSchema } from '../schemas/sender-numbers';

export function senderNumberRoutes(host: RouteHost, senderNumbers: SenderNumbersService): void {
  const tag = 'Sender numbers';
  defineRoute(host, {
    method: 'post',
    path: '/v1/sender-numbers',
    summary: 'Register a number this account sends from (inbound to it is routed to this account)',
    tag,
    auth: 'write',
    body: SenderNumberBody,
    responses: {
      201: { description: 'Registered', schema: SenderNumberSchema },
      200: { description: 'Already registered to this account', schema: SenderNumberSchema },
    },
    handler: async ({ em, actor, body }) => {
      const { created, number } = await senderNumbers.register(em, actor, body);
      return { status: created ? 201 : 200, body: number };
    },
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/sender-numbers',
    summary: 'List sender numbers',
    tag,
    auth: 'read',
    query: PageQuery,
    responses: { 200: { description: 'A page of sender numbers', schema: pageOf(SenderNumberSchema) } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await senderNumbers.list(em, actor, query) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/sender-numbers/:id',
    summary: 'Get a sender number',
    tag,
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The sender number', schema: SenderNumberSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await senderNumbers.get(em, actor, params.id) }),
  });
  defineRoute(host, {
    method: 'delete',
    path: '/v1/sender-numbers/:id',
    summary: 'Remove a sender number (queued messages from it still go out; new ones are refused, and campaigns from it pause)',
    tag,
    auth: 'write',
    params: IdParams,
    responses: { 204: { description: 'Removed' } },
    handler: async ({ em, actor, params }) => {
      await senderNumbers.remove(em, actor, params.id);
      return { status: 204 };
    },
  });
}
