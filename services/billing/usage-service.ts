import type { Pool } from 'pg';
import { AppError } from '../../lib/errors';
import type { AccountActor } from '../actor';
import { CURRENCY_OF, formatMicros, parseMicros, UNIT_PRICE_SQL } from './prices';
import { loadSpendState, setMonthlyCap } from './spend-cap-store';

export type UsageGroupBy = 'day' | 'campaign' | 'sender';

export interface UsageQuery {
  from: Date;
  to: Date;
  groupBy: UsageGroupBy;
}

/** The longest span one usage query covers. */
export const USAGE_MAX_SPAN_DAYS = 366;
const DAY_MS = 86_400_000;

const GROUP_KEY: Record<UsageGroupBy, string> = {
  day: `to_char(date_trunc('day', u.accepted_at at time zone 'UTC'), 'YYYY-MM-DD')`,
  campaign: `u.campaign_id::text`,
  sender: `u.sender`,
};

interface UsageLine {
  segments: number;
  messages: number;
  cost: string;
}

/**
 * What the account was billed for: accepted outbound messages (a usage row each), their segments and
 * their cost at the price in effect when each was accepted, in the account's currency. Read from
 * usage_events (the rows the meter events come from), so it matches the Stripe invoice.
 */
export class UsageService {
  constructor(private readonly deps: { pgPool: Pool }) {}

  async usage(actor: AccountActor, query: UsageQuery) {
    if (query.to.getTime() <= query.from.getTime()) throw AppError.invalid('to', 'must be after from');
    if (query.to.getTime() - query.from.getTime() > USAGE_MAX_SPAN_DAYS * DAY_MS)
      throw AppError.invalid('to', `must be at most ${USAGE_MAX_SPAN_DAYS} days after from`);
    const { rows } = await this.deps.pgPool.query<{
      key: string | null;
      segments: string;
      messages: string;
      cost: string;
      currency: string;
    }>(
      `select ${GROUP_KEY[query.groupBy]} as key, sum(u.segments)::bigint as segments, count(*)::bigint as messages,
              sum(u.segments * ${UNIT_PRICE_SQL('u.account_id', 'u.accepted_at')})::bigint as cost, ${CURRENCY_OF('$1::uuid')} as currency
         from usage_events u
        where u.account_id = $1 and u.accepted_at >= $2 and u.accepted_at < $3
        group by 1 order by 1 nulls first
        limit 10000`,
      [actor.accountId, query.from, query.to],
    );
    const currency = rows[0]?.currency ?? (await this.currencyOf(actor.accountId));
    const totals = { segments: 0, messages: 0, costMicros: 0n };
    const data = rows.map((r) => {
      totals.segments += Number(r.segments);
      totals.messages += Number(r.messages);
      totals.costMicros += BigInt(r.cost);
      const line: UsageLine = { segments: Number(r.segments), messages: Number(r.messages), cost: formatMicros(BigInt(r.cost)) };
      return { [query.groupBy === 'day' ? 'day' : query.groupBy === 'campaign' ? 'campaignId' : 'sender']: r.key, ...line };
    });
    return {
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      groupBy: query.groupBy,
      currency,
      totals: { segments: totals.segments, messages: totals.messages, cost: formatMicros(totals.costMicros) },
      data,
    };
  }

  /** The month's spend against the cap, as GET / PATCH /v1/billing show it under `spendCap`. */
  async spendCap(actor: Pick<AccountActor, 'accountId'>, now = new Date()) {
    const state = await loadSpendState(this.deps.pgPool, actor.accountId, now);
    const percent = state.capMicros === null ? null : Number((state.spendMicros * 10_000n) / state.capMicros) / 100;
    return {
      currency: state.currency,
      monthlyCap: state.capMicros === null ? null : formatMicros(state.capMicros),
      periodStart: state.periodStart.toISOString(),
      periodSegments: Number(state.segments),
      periodSpend: formatMicros(state.spendMicros),
      percentOfCap: percent,
      capReached: state.capMicros !== null && state.spendMicros >= state.capMicros,
    };
  }

  async setSpendCap(actor: AccountActor, monthlyCap: string | null) {
    const micros = monthlyCap === null ? null : parseMicros(monthlyCap);
    if (monthlyCap !== null && (micros === null || micros <= 0n)) throw AppError.invalid('monthlySpendCap', 'must be a positive amount');
    await setMonthlyCap(this.deps.pgPool, actor.accountId, micros);
    return this.spendCap(actor);
  }

  private async currencyOf(accountId: string): Promise<string> {
    const { rows } = await this.deps.pgPool.query<{ currency: string }>(`select ${CURRENCY_OF('$1::uuid')} as currency`, [accountId]);
    return rows[0]!.currency;
  }
}
