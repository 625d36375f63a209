import type { Pool } from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { AppError } from '../../lib/errors';
import { limitKeyDigest } from './auth-digest';

/** The table every shared budget lives in (migration …20261206021500_auth_key_digests_and_limits). */
export const AUTH_LIMITS_TABLE = 'auth_rate_limits';

export interface BudgetRule {
  /** Names the budget: the stored keys' prefix and the 429's wording. */
  name: string;
  points: number;
  durationSeconds: number;
  /** What is counted, for the 429 detail ("failed sign-ins"). */
  counted: string;
}

/**
 * A budget of events per key and fixed window, kept in PostgreSQL (rate-limiter-flexible's
 * RateLimiterPostgres on the app's pg pool), so it holds across API replicas. Keys are stored as
 * HMAC digests: the table holds no email, account id or address.
 */
export class SharedBudget {
  private readonly limiter: RateLimiterPostgres;

  constructor(
    pool: Pool,
    private readonly digestKey: Buffer,
    readonly rule: BudgetRule,
  ) {
    this.limiter = new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: AUTH_LIMITS_TABLE,
      tableCreated: true,
      // A changed budget starts afresh rather than reading counts made under other numbers.
      keyPrefix: `${rule.name}:${rule.points}/${rule.durationSeconds}`,
      points: rule.points,
      duration: rule.durationSeconds,
    });
  }

  private key(key: string): string {
    return limitKeyDigest(this.digestKey, key);
  }

  /** Refuses (429) when the key's budget is spent, without spending anything. */
  async check(key: string): Promise<void> {
    const res = await this.limiter.get(this.key(key));
    if (res && res.consumedPoints >= this.rule.points) throw this.refusal(res.msBeforeNext);
  }

  /** Spends one point (even past the budget, so a caller that keeps failing stays limited); the points spent in this window. */
  async charge(key: string): Promise<number> {
    return (await this.limiter.penalty(this.key(key))).consumedPoints;
  }

  /** Spends one point, refusing (429) once the window's budget is spent. */
  async take(key: string): Promise<void> {
    const res = await this.limiter.penalty(this.key(key));
    if (res.consumedPoints > this.rule.points) throw this.refusal(res.msBeforeNext);
  }

  async forget(key: string): Promise<void> {
    await this.limiter.delete(this.key(key));
  }

  refusal(msBeforeNext: number): AppError {
    const { points, durationSeconds, counted } = this.rule;
    const window =
      durationSeconds % 60 === 0 ? `${durationSeconds / 60} minute${durationSeconds === 60 ? '' : 's'}` : `${durationSeconds} s`;
    return new AppError('rate_limited', `limit of ${points} ${counted} per ${window} reached`, {
      retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)),
    });
  }
}
