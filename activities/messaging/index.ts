import { createClaimBatch } from './claim-batch';
import type { MessagingActivityDeps } from './messaging-deps';
import { createReconcileAmbiguous } from './reconcile-ambiguous';
import { createRequeueUnsent } from './requeue-unsent';
import { createSendBatch } from './send-batch';

/** The send path's activities; the campaign issue reuses `sendBatch`. */
export function createMessagingActivities(deps: MessagingActivityDeps) {
  return {
    claimBatch: createClaimBatch(deps),
    sendBatch: createSendBatch(deps),
    reconcileAmbiguous: createReconcileAmbiguous(deps),
    requeueUnsent: createRequeueUnsent(deps),
  };
}

export type MessagingActivities = ReturnType<typeof createMessagingActivities>;
