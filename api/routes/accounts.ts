import { getAccount, signUp } from '../../services/accounts';
import { startCustomerCreation } from '../../services/billing/billing-service';
import type { ApiDeps } from '../../services/deps';
import type { EmailLinks } from '../../services/holders/email-links';
import type { HolderMailDeps } from '../../services/holders/holder-mail';
import { defineRoute, type RouteHost } from '../http/define-route';
import { AccountSchema, SignUpBody, SignUpResponse } from '../schemas/accounts';

/** Sign-up does not wait long for Temporal: a lost start is recovered by the first Checkout session. */
const CUSTOMER_START_DEADLINE_MS = 5_000;

export function accountRoutes(host: RouteHost, deps: ApiDeps, holders: { links: EmailLinks; mail: HolderMailDeps }): void {
  defineRoute(host, {
    method: 'post',
    path: '/v1/accounts',
    summary:
      'Sign up: creates the account and its first API key (shown once), and emails a verification link (the account sends SMS once it is used)',
    tag: 'Accounts',
    auth: 'public',
    body: SignUpBody,
    responses: { 201: { description: 'Account created', schema: SignUpResponse } },
    handler: async ({ em, body }) => {
      const created = await signUp(em, { keyring: deps.keyring, authDigestKey: deps.keys.authDigestKey, ...holders }, body);
      // After the commit: the Stripe customer is created by its own process (once, by account id), where
      // Stripe is configured. If this start is lost (or Stripe comes later), the first Checkout session starts it.
      if (deps.config.STRIPE_SECRET_KEY)
        await deps.temporal
          .withDeadline(Date.now() + CUSTOMER_START_DEADLINE_MS, () => startCustomerCreation(deps.temporal, created.account.id))
          .catch((err: unknown) =>
            deps.logger.warn(
              { accountId: created.account.id, err: err instanceof Error ? err.name : 'unknown' },
              'billing customer creation not started',
            ),
          );
      return { status: 201, body: created };
    },
  });

  defineRoute(host, {
    method: 'get',
    path: '/v1/account',
    summary: 'The calling account, including billing display',
    tag: 'Accounts',
    auth: 'read',
    responses: { 200: { description: 'The account', schema: AccountSchema } },
    handler: async ({ em, actor }) => ({ status: 200, body: await getAccount(em, deps.pgPool, actor) }),
  });
}
