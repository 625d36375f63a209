import type { ZodError } from 'zod';
import type { AppError } from '../../lib/errors';
import type { MessagesService, OutboundRequest } from '../../services/messaging/messages-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import { PROBLEM_TYPE_BASE } from '../http/problem';
import { IdParams, pageOf } from '../schemas/common';
import { MessageListQuery, MessageSchema, SendBatchBody, SendBatchResponse, SendMessageBody } from '../schemas/messages';

/** A send's claim outlives no live request: the API answers within its request timeout or not at all. */
const SEND_CLAIM_LEASE_SECONDS = 30;

type ItemProblem = { type: string; detail: string; fields: { field: string; reason: string }[] };

function fromZod(error: ZodError): ItemProblem {
  const fields = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => ({ field: k, reason: 'is not a known field' }))
      : [{ field: issue.path.map(String).join('.') || '(item)', reason: issue.message }],
  );
  return { type: `${PROBLEM_TYPE_BASE}validation`, detail: fields.map((f) => `${f.field}: ${f.reason}`).join('; '), fields };
}

function fromAppError(error: AppError): ItemProblem {
  return { type: `${PROBLEM_TYPE_BASE}${error.kind}`, detail: error.message, fields: error.extras.fields ?? [] };
}

export function messageRoutes(host: RouteHost, messages: MessagesService): void {
  const tag = 'Messages';
  defineRoute(host, {
    method: 'post',
    path: '/v1/messages',
    summary: 'Send one SMS: queued at once (202), then sent durably with failover',
    tag,
    auth: 'write',
    body: SendMessageBody,
    responses: { 202: { description: 'Queued', schema: MessageSchema } },
    problems: [402],
    // The answer holds the number and body: a replay re-renders the message as it is now. The key is
    // completed by the insert that writes the message (no crash between the two can cause a duplicate).
    replay: {
      resource: 'message',
      render: async ({ em, actor }, id, status) => ({ status, body: await messages.get(em, actor, id) }),
      completedInWrite: { leaseSeconds: SEND_CLAIM_LEASE_SECONDS },
    },
    handler: async ({ actor, body, idempotency }) => ({ status: 202, body: await messages.send(actor, body, idempotency.claimRef) }),
  });
  defineRoute(host, {
    method: 'post',
    path: '/v1/messages/batch',
    summary: 'Send up to 1,000 SMS in one request; each item is validated and answered on its own',
    tag,
    auth: 'write',
    body: SendBatchBody,
    responses: { 202: { description: 'Per item: its id (queued) or its problem', schema: SendBatchResponse } },
    handler: async ({ actor, body }) => {
      const parsed = body.messages.map((item) => SendMessageBody.safeParse(item));
      const valid: { index: number; request: OutboundRequest }[] = [];
      parsed.forEach((p, index) => {
        if (p.success) valid.push({ index, request: p.data });
      });
      const queued = await messages.queue(
        actor,
        valid.map((v) => v.request),
      );
      const answers = new Map(valid.map((v, i) => [v.index, queued[i]!]));
      const results = parsed.map((p, index) => {
        if (!p.success) return { index, error: fromZod(p.error) };
        const answer = answers.get(index)!;
        return answer.ok
          ? { index, id: answer.message.id, status: 'queued' as const, segments: answer.message.segments }
          : { index, error: fromAppError(answer.error) };
      });
      const accepted = results.filter((r) => 'id' in r).length;
      return { status: 202, body: { accepted, rejected: results.length - accepted, results } };
    },
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/messages',
    summary: 'List messages, newest first, with filters',
    tag,
    auth: 'read',
    query: MessageListQuery,
    responses: { 200: { description: 'A page of messages (without attempts)', schema: pageOf(MessageSchema) } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await messages.list(em, actor, query) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/messages/:id',
    summary: 'A message with its status and every carrier attempt',
    tag,
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The message', schema: MessageSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await messages.get(em, actor, params.id) }),
  });
}
