import type { BillingService } from '../../services/billing/billing-service';
import type { UsageService } from '../../services/billing/usage-service';
import { BILLING_MANAGERS, defineRoute, type RouteHost } from '../http/define-route';
import { IdParams } from '../schemas/common';
import {
  AccountBillingSchema,
  CheckoutSessionBody,
  CheckoutSessionSchema,
  StaffBillingSchema,
  StaffBillingViewSchema,
  StaffCreditBody,
} from '../schemas/billing';

/** The account's billing: card display, subscription, dunning, records; a card is added through Stripe Checkout only. */
export function billingRoutes(host: RouteHost, billing: BillingService, usage: UsageService): void {
  defineRoute(host, {
    method: 'get',
    path: '/v1/billing',
    summary:
      "The account's billing: card (display fields only), subscription, dunning, invoices, card changes, and this month's spend against the cap",
    tag: 'Billing',
    auth: 'read',
    responses: { 200: { description: 'The billing state', schema: AccountBillingSchema } },
    handler: async ({ actor }) => ({
      status: 200,
      body: { ...(await billing.view(actor.accountId)), spendCap: await usage.spendCap(actor) },
    }),
  });

  defineRoute(host, {
    method: 'post',
    path: '/v1/billing/checkout-sessions',
    summary: 'A Stripe Checkout session (setup mode) where the account holder enters a card; answers its URL',
    tag: 'Billing',
    auth: { scope: 'admin', holderRoles: BILLING_MANAGERS },
    body: CheckoutSessionBody,
    problems: [503],
    responses: { 201: { description: 'Open `url` in the browser', schema: CheckoutSessionSchema } },
    handler: async ({ actor, body }) => ({ status: 201, body: await billing.createCheckoutSession(actor.accountId, body) }),
  });
}

/** Staff: an account's billing state and this month's usage, and a manual credit (audited, with its reason). */
export function staffBillingRoutes(host: RouteHost, billing: BillingService, usage: UsageService): void {
  defineRoute(host, {
    method: 'get',
    path: '/staff/v1/accounts/:id/billing',
    summary: "An account's billing state: card display, subscription, dunning, suspension, records, this month's usage",
    tag: 'Staff',
    auth: { staff: ['support', 'admin'] },
    params: IdParams,
    responses: { 200: { description: 'The billing state', schema: StaffBillingViewSchema } },
    handler: async ({ params }) => {
      const view = await billing.staffView(params.id);
      return { status: 200, body: { ...view, usage: await usage.spendCap({ accountId: params.id }) } };
    },
  });

  defineRoute(host, {
    method: 'post',
    path: '/staff/v1/accounts/:id/billing/credits',
    summary: 'Grant a manual credit with a reason (recorded as a billing record and audited)',
    tag: 'Staff',
    auth: { staff: ['admin'] },
    params: IdParams,
    body: StaffCreditBody,
    responses: { 201: { description: 'The credit is recorded', schema: StaffBillingSchema } },
    handler: async ({ actor, params, body }) => ({ status: 201, body: await billing.credit(params.id, body, actor) }),
  });
}
