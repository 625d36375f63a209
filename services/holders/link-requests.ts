import type { Pool } from 'pg';
import { clientLimitKey } from '../../lib/net/client-address';
import { SharedBudget } from '../auth/shared-budget';
import type { DeferredWork } from './deferred-work';
import type { EmailLinkPurpose, EmailLinks } from './email-links';

/** Public link requests (password reset, verification resend) per client address and hour, whatever the emails. */
export const LINK_REQUESTS_PER_ADDRESS = { points: 20, durationSeconds: 60 * 60 } as const;

/**
 * The front of a public "email me a link" request. Both budgets are spent before anyone looks the
 * email up: the client address's (LINK_REQUESTS_PER_ADDRESS) and the email's own
 * (EMAIL_LINK_ISSUES, per purpose), so a 429 says nothing about whether the email exists. The rest
 * (lookup, link, email) runs after the answer, so the answer and its timing are the same either way.
 */
export class LinkRequests {
  private readonly byAddress: SharedBudget;

  constructor(
    pool: Pool,
    digestKey: Buffer,
    private readonly links: EmailLinks,
    private readonly deferred: DeferredWork,
  ) {
    this.byAddress = new SharedBudget(pool, digestKey, {
      name: 'holder_link_request_addr',
      points: LINK_REQUESTS_PER_ADDRESS.points,
      durationSeconds: LINK_REQUESTS_PER_ADDRESS.durationSeconds,
      counted: 'emailed-link requests from this address',
    });
  }

  /** 429 once either budget is spent; otherwise `work` runs after the caller has answered. */
  async accept(address: string, purpose: EmailLinkPurpose, email: string, work: () => Promise<void>): Promise<void> {
    await this.byAddress.take(clientLimitKey(address));
    await this.links.reserve(purpose, email);
    this.deferred.run(purpose, work);
  }
}
