import type { UsageService } from '../../services/billing/usage-service';
import { BILLING_MANAGERS, defineRoute, type RouteHost } from '../http/define-route';
import { SpendCapBody, SpendCapResponse, UsageQuerySchema, UsageResponse } from '../schemas/usage';

const startOfMonthUtc = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

export function usageRoutes(host: RouteHost, usage: UsageService): void {
  defineRoute(host, {
    method: 'get',
    path: '/v1/usage',
    summary: 'Segments, messages and cost of accepted messages, per day, campaign or sender',
    tag: 'Billing',
    auth: 'read',
    query: UsageQuerySchema,
    responses: { 200: { description: 'Usage in the account currency', schema: UsageResponse } },
    handler: async ({ actor, query }) => {
      const now = new Date();
      const from = query.from ? new Date(query.from) : startOfMonthUtc(now);
      const to = query.to ? new Date(query.to) : now;
      return { status: 200, body: await usage.usage(actor, { from, to, groupBy: query.groupBy }) };
    },
  });
  defineRoute(host, {
    method: 'patch',
    path: '/v1/billing',
    summary: 'Set or remove the monthly spend cap (alerts at 50/80/100 %; at 100 % new sends are refused)',
    tag: 'Billing',
    auth: { scope: 'admin', holderRoles: BILLING_MANAGERS },
    body: SpendCapBody,
    responses: { 200: { description: "The month's spend against the cap", schema: SpendCapResponse } },
    handler: async ({ actor, body }) => ({ status: 200, body: { spendCap: await usage.setSpendCap(actor, body.monthlySpendCap) } }),
  });
}
