import { createApiKey, getApiKey, listApiKeys, revokeApiKey, type KeyIssuing } from '../../services/api-keys';
import { defineRoute, type RouteHost } from '../http/define-route';
import { ApiKeySchema, ApiKeyWithSecret, CreateApiKeyBody } from '../schemas/api-keys';
import { IdParams, PageQuery, pageOf } from '../schemas/common';

export function apiKeyRoutes(host: RouteHost, issuing: KeyIssuing): void {
  defineRoute(host, {
    method: 'post',
    path: '/v1/api-keys',
    summary: 'Create an API key (the secret is shown once)',
    tag: 'API keys',
    auth: { scope: 'admin', orSession: true },
    body: CreateApiKeyBody,
    responses: { 201: { description: 'Key created', schema: ApiKeyWithSecret } },
    // The secret is shown once: a replay answers the key as it is now (id, prefix), never the secret.
    replay: { resource: 'api_key', render: async ({ em, actor }, id, status) => ({ status, body: await getApiKey(em, actor, id) }) },
    handler: async ({ em, actor, body }) => ({ status: 201, body: await createApiKey(em, issuing, actor, body) }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/api-keys',
    summary: 'List API keys (never their secrets)',
    tag: 'API keys',
    auth: { scope: 'read', orSession: true },
    query: PageQuery,
    responses: { 200: { description: 'A page of keys', schema: pageOf(ApiKeySchema) } },
    handler: async ({ em, actor, query }) => ({ status: 200, body: await listApiKeys(em, actor, query) }),
  });

  defineRoute(host, {
    method: 'delete',
    path: '/v1/api-keys/:id',
    summary: "Revoke an API key at once (never the account's last admin key)",
    tag: 'API keys',
    auth: { scope: 'admin', orSession: true },
    params: IdParams,
    responses: { 200: { description: 'The revoked key', schema: ApiKeySchema } },
    handler: async ({ em, actor, params }) => ({ status: 200, body: await revokeApiKey(em, actor, params.id) }),
  });
}
