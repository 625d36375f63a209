import { requeueOrFail } from '../../services/messaging/outbox-store';
import type { RequeueInput, RequeueResult } from './dispatch-types';
import type { MessagingActivityDeps } from './messaging-deps';
import { statusEventsFor } from './status-events';

/** Messages no carrier took this time: back to the outbox with a backoff, or failed past the bound. */
export function createRequeueUnsent(deps: MessagingActivityDeps) {
  const statusEvents = statusEventsFor(deps);
  return function requeueUnsent(input: RequeueInput): Promise<RequeueResult> {
    return requeueOrFail(deps.pgPool, statusEvents, input.claimToken, input.messageIds, deps.settings.requeue, deps.settings.clock());
  };
}
