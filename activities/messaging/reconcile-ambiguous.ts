import { Context } from '@temporalio/activity';
import { SealedFieldError } from '../../lib/crypto/sealed-field';
import {
  abandonAmbiguous,
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
/** Error codes of attempts whose outcome can never be known: the carrier cannot be asked about them. */
export const OUTCOME_UNKNOWN = {
  keyDestroyed: 'outcome_unknown_data_key_destroyed',
  unreadable: 'outcome_unknown_stored_data_unreadable',
} as const;

type LookupVerdict = 'decided' | 'undecided' | (typeof OUTCOME_UNKNOWN)[keyof typeof OUTCOME_UNKNOWN];

/**
 * Decides parked ambiguous attempts. A receipt naming the attempt (the webhook sets it
 * confirmed_sent) settles it at once; otherwise, once the bounded wait is over, the carrier is
 * asked. Only a lookup proving the message was never sent (confirmed_not_sent) lets it fail over.
 */
export function createReconcileAmbiguous(deps: MessagingActivityDeps) {
  const { pgPool, settings } = deps;
  const statusEvents = statusEventsFor(deps);

  async function lookUp(attempt: AmbiguousAttempt, key: Parameters<typeof openOutbound>[0] | null | undefined): Promise<LookupVerdict> {
    // Without the key (destroyed) or a readable field the carrier can never be asked.
    if (!key) return OUTCOME_UNKNOWN.keyDestroyed;
    let fields: { to: string; body: string };
    try {
      fields = openOutbound(key, attempt.messageId, { recipient: attempt.recipientSealed, body: attempt.bodySealed });
    } catch (err) {
      if (err instanceof SealedFieldError) return OUTCOME_UNKNOWN.unreadable;
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
      return 'decided';
    } catch {
      // CarrierLookupFailed (or anything unexpected): nothing was proved either way; ask again later.
      return 'undecided';
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
    const undecided: string[] = [];
    const unknowable = new Map<string, string[]>();
    await mapBounded(due, LOOKUP_CONCURRENCY, async (a) => {
      ctx.heartbeat();
      const verdict = await lookUp(a, keys.get(a.accountId));
      if (verdict === 'undecided') undecided.push(a.attemptId);
      else if (verdict !== 'decided') unknowable.set(verdict, [...(unknowable.get(verdict) ?? []), a.attemptId]);
    });
    await postponeReconcile(pgPool, undecided, settings.lookupRetryMs);
    for (const [code, ids] of unknowable) await abandonAmbiguous(pgPool, ids, code);

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
