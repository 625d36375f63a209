import type { FailureGate } from '../../services/auth/failure-gate';
import { RateLimiter } from './rate-limiter';

/** Two separate budgets of failed authentications a minute: one per client address, one per subject. */
export class FailedAuthLimiter implements FailureGate {
  private readonly byAddress: RateLimiter;
  private readonly bySubject: RateLimiter;

  constructor(perMinute: number) {
    this.byAddress = new RateLimiter(perMinute, 'failed authentications');
    this.bySubject = new RateLimiter(perMinute, 'failed authentications');
  }

  check(address: string, subject: string | null): void {
    this.byAddress.check(address);
    if (subject !== null) this.bySubject.check(subject);
  }

  charge(address: string, subject: string | null): void {
    this.byAddress.charge(address);
    if (subject !== null) this.bySubject.charge(subject);
  }
}
