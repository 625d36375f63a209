import { Context } from '@temporalio/activity';
import { SealedFieldError } from '../../lib/crypto/sealed-field';
import {
  loadAttemptsToReconcile,
  postponeReconcile,
  resolveAmbiguous,
  settleAttempts,
  type AmbiguousAttempt,
} from '../../services/messaging/outbox-store';
import { mapBounded } from '../../services/messaging/send-concurrency';
import { openOutbound } from '../../services/messaging/send-fields';
import { keysForAccounts } from './account-keys';
import type { ReconcileInput, ReconcileResult } from './dispatch-types';
import type { MessagingActivityDeps } from './messaging-deps';
import { statusEventsFor } from './status-events';

/** Lookups in flight at once: they are rare (only ambiguous attempts) and each may list. */
const LOOKUP_CONCURRENCY = 8;

/**
 * Decides parked ambiguous attempts. A receipt naming the attempt (the webhook sets it
 * confirmed_sent) settles it at once; otherwise, once the bounded wait is over, the carrier is
 * asked. Only a lookup proving the message was never sent (confirmed_not_sent) lets it fail over.
 */
export function createReconcileAmbiguous(deps: MessagingActivityDeps) {
  const { pgPool, settings } = deps;
  const statusEvents = statusEventsFor(deps);

  async function lookUp(attempt: AmbiguousAttempt, key: Parameters<typeof openOutbound>[0] | null | undefined): Promise<boolean> {
    // Without the key (destroyed) or a readable field the carrier cannot be asked: keep waiting.
    if (!key) return false;
    let fields: { to: string; body: string };
    try {
      fields = openOutbound(key, attempt.messageId, { recipient: attempt.recipientSealed, body: attempt.bodySealed });
    } catch (err) {
      if (err instanceof SealedFieldError) return false;
      throw err;
    }
    try {
      const verdict = await deps.carriers[attempt.carrier].lookup({
        attemptId: attempt.attemptId,
        messageId: attempt.messageId,
        from: attempt.sender,
        to: fields.to,
        body: fields.body,
        attemptedAt: attempt.attemptedAt,
        claimedCarrierMessageIds: attempt.claimedCarrierMessageIds,
        ...(attempt.carrierMessageId ? { carrierMessageId: attempt.carrierMessageId } : {}),
      });
      await resolveAmbiguous(
        pgPool,
        attempt.attemptId,
        verdict.found ? { found: true, carrierMessageId: verdict.carrierMessageId } : { found: false },
      );
      return true;
    } catch {
      // CarrierLookupFailed (or anything unexpected): nothing was proved either way; ask again later.
      return false;
    }
  }

  return async function reconcileAmbiguous(input: ReconcileInput): Promise<ReconcileResult> {
    const ctx = Context.current();
    const attempts = await loadAttemptsToReconcile(pgPool, input.attemptIds);
    const due = attempts.filter((a) => a.outcome === 'ambiguous' && a.due);
    const keys = await keysForAccounts(
      deps,
      due.map((a) => a.accountId),
    );
    const undecided = new Set<string>();
    await mapBounded(due, LOOKUP_CONCURRENCY, async (a) => {
      ctx.heartbeat();
      if (!(await lookUp(a, keys.get(a.accountId)))) undecided.add(a.attemptId);
    });
    await postponeReconcile(pgPool, [...undecided], settings.lookupRetryMs);

    const result: ReconcileResult = { sent: [], settled: [], notSent: [], waiting: [], nextCheckAt: null };
    // Outcomes as stored now: a receipt may have landed between the lookup and here.
    const settled = await settleAttempts(
      pgPool,
      statusEvents,
      null,
      attempts.map((a) => a.attemptId),
    );
    for (const a of settled) {
      if (a.outcome === 'accepted' || a.outcome === 'confirmed_sent') result.sent.push(a.attemptId);
      else if (a.outcome === 'confirmed_not_sent' || a.outcome === 'transient') result.notSent.push(a.attemptId);
      else if (a.outcome === 'permanent') result.settled.push(a.attemptId);
      else {
        result.waiting.push(a.attemptId);
        const at = a.reconcileAfter?.getTime() ?? Date.now() + settings.lookupRetryMs;
        result.nextCheckAt = Math.min(result.nextCheckAt ?? at, at);
      }
    }
    // An id that no longer exists (message deleted with its account) has nothing left to do.
    const known = new Set(settled.map((a) => a.attemptId));
    result.settled.push(...input.attemptIds.filter((id) => !known.has(id)));
    return result;
  };
}
