import { getAccount, signUp } from '../../services/accounts';
import type { ApiDeps } from '../../services/deps';
import { defineRoute, type RouteHost } from '../http/define-route';
import { AccountSchema, SignUpBody, SignUpResponse } from '../schemas/accounts';

export function accountRoutes(host: RouteHost, deps: ApiDeps): void {
  defineRoute(host, {
    method: 'post',
    path: '/v1/accounts',
    summary: 'Sign up: creates the account and its first API key (shown once)',
    tag: 'Accounts',
    auth: 'public',
    body: SignUpBody,
    responses: { 201: { description: 'Account created', schema: SignUpResponse } },
    handler: async ({ em, body }) => ({
      status: 201,
      body: await signUp(em, { keyring: deps.keyring, authDigestKey: deps.keys.authDigestKey }, body),
    }),
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/account',
    summary: 'The calling account, including billing display',
    tag: 'Accounts',
    auth: 'read',
    responses: { 200: { description: 'The account', schema: AccountSchema } },
    handler: async ({ em, actor }) => ({ status: 200, body: await getAccount(em, actor) }),
  });
}
