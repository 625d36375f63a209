import type { AccountActor } from '../../services/actor';
import type { WebhookEndpointsService } from '../../services/webhooks/webhook-endpoints-service';
import { defineRoute, type RouteHost } from '../http/define-route';
import type { ReplayByReference } from '../http/idempotency';
import { IdParams, PageQuery, pageOf } from '../schemas/common';
import {
  CreateWebhookEndpointBody,
  UpdateWebhookEndpointBody,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecret,
} from '../schemas/webhook-endpoints';
import { registerWebhookEvents } from '../schemas/webhook-events';

export function webhookEndpointRoutes(host: RouteHost, endpoints: WebhookEndpointsService): void {
  const tag = 'Webhook endpoints';
  registerWebhookEvents(host.registry);
  // The secret is shown once: a replay answers the endpoint as it is now, never the secret.
  const replay: ReplayByReference<AccountActor> = {
    resource: 'webhook_endpoint',
    render: async ({ em, actor }, id, status) => ({ status, body: await endpoints.get(em, actor, id) }),
  };
  defineRoute(host, {
    method: 'post',
    path: '/v1/webhook-endpoints',
    summary: 'Register a webhook endpoint (the signing secret is shown once)',
    tag,
    auth: 'admin',
    body: CreateWebhookEndpointBody,
    responses: { 201: { description: 'Endpoint created', schema: WebhookEndpointWithSecret } },
    replay,
    handler: async ({ em, actor, body }) => ({ status: 201, body: await endpoints.create(em, actor, body) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/webhook-endpoints',
    summary: 'List webhook endpoints (never their secrets)',
    tag,
    auth: 'read',
    query: PageQuery,
    responses: { 200: { description: 'A page of endpoints', schema: pageOf(WebhookEndpointSchema) } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await endpoints.list(em, actor, query) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/webhook-endpoints/:id',
    summary: 'One webhook endpoint (never its secret)',
    tag,
    auth: 'read',
    params: IdParams,
    responses: { 200: { description: 'The endpoint', schema: WebhookEndpointSchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await endpoints.get(em, actor, params.id) }),
  });
  defineRoute(host, {
    method: 'patch',
    path: '/v1/webhook-endpoints/:id',
    summary: "Change an endpoint's URL, event types or description, or enable it again",
    tag,
    auth: 'admin',
    params: IdParams,
    body: UpdateWebhookEndpointBody,
    responses: { 200: { description: 'The endpoint', schema: WebhookEndpointSchema } },
    handler: async ({ em, actor, params, body }) => ({ status: 200, body: await endpoints.update(em, actor, params.id, body) }),
  });
  defineRoute(host, {
    method: 'delete',
    path: '/v1/webhook-endpoints/:id',
    summary: 'Delete an endpoint and its deliveries',
    tag,
    auth: 'admin',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ em, actor, params }) => {
      await endpoints.remove(em, actor, params.id);
      return { status: 204 };
    },
  });
  defineRoute(host, {
    method: 'post',
    path: '/v1/webhook-endpoints/:id/rotate-secret',
    summary: 'Replace the signing secret (the new one is shown once)',
    tag,
    auth: 'admin',
    params: IdParams,
    responses: { 200: { description: 'The endpoint with its new secret', schema: WebhookEndpointWithSecret } },
    replay,
    handler: async ({ em, actor, params }) => ({ status: 200, body: await endpoints.rotateSecret(em, actor, params.id) }),
  });
  defineRoute(host, {
    method: 'get',
    path: '/v1/webhook-endpoints/:id/deliveries',
    summary: "An endpoint's deliveries, newest first, each with its attempts",
    tag,
    auth: 'read',
    params: IdParams,
    query: PageQuery,
    responses: { 200: { description: 'A page of deliveries', schema: pageOf(WebhookDeliverySchema) } },
    handler: async ({ em, actor, params, query }) => ({ status: 200, body: await endpoints.deliveries(em, actor, params.id, query) }),
  });
}
