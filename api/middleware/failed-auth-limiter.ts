import type { FailureGate } from '../../services/auth/failure-gate';
import { RateLimiter } from './rate-limiter';

/** Two separate budgets of failed authentications a minute: one per client address, one per subject. */
export class FailedAuthLimiter implements FailureGate {
  private readonly byAddress: RateLimiter;
  private readonly bySubject: RateLimiter;

  constructor(
    perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.byAddress = new RateLimiter(perMinute, 'failed authentications');
    this.bySubject = new RateLimiter(perMinute, 'failed authentications');
  }

  check(address: string, subject: string | null): void {
    const now = this.clock();
    this.byAddress.check(address, now);
    if (subject !== null) this.bySubject.check(subject, now);
  }

  charge(address: string, subject: string | null): void {
    const now = this.clock();
    this.byAddress.charge(address, now);
    if (subject !== null) this.bySubject.charge(subject, now);
  }
}
