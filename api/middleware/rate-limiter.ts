import { AppError } from '../../lib/errors';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token bucket per key (API key id, or client IP for sign-up), refilled continuously. In-process:
 * with several API replicas each enforces its own share; a shared store is the next step.
 */
const MAX_TRACKED_KEYS = 50_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly counted = 'requests',
  ) {}

  take(key: string, now = Date.now()): { remaining: number } {
    const bucket = this.refill(key, now);
    this.refuseIfEmpty(bucket);
    bucket.tokens -= 1;
    return { remaining: Math.floor(bucket.tokens) };
  }

  /** Refuses (429) when the key's bucket is empty, without spending a token. */
  check(key: string, now = Date.now()): void {
    this.refuseIfEmpty(this.refill(key, now));
  }

  /** Spends a token even when none is left, so a caller that keeps failing stays limited. */
  charge(key: string, now = Date.now()): void {
    const bucket = this.refill(key, now);
    bucket.tokens = Math.max(bucket.tokens - 1, -1);
  }

  private refill(key: string, now: number): Bucket {
    const refillPerMs = this.perMinute / 60_000;
    if (this.buckets.size > MAX_TRACKED_KEYS) this.forgetIdle(now, refillPerMs);
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, updatedAt: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    return bucket;
  }

  private refuseIfEmpty(bucket: Bucket): void {
    if (bucket.tokens < 1) {
      const refillPerMs = this.perMinute / 60_000;
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
      throw new AppError('rate_limited', `rate limit of ${this.perMinute} ${this.counted} per minute exceeded`, { retryAfterSeconds });
    }
  }

  /** A bucket that would be full again is the same as no bucket, so it can go. */
  private forgetIdle(now: number, refillPerMs: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * refillPerMs >= this.perMinute) this.buckets.delete(key);
    }
  }
}
