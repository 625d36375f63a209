import { Context } from '@temporalio/activity';
import type { CarrierSendRequest, SendOutcome } from '../../providers/sms/carrier';
import { SealedFieldError } from '../../lib/crypto/sealed-field';
import { recordBatchHealth } from '../../services/messaging/carrier-breaker';
import {
  failUnsendable,
  prepareSend,
  recordAttemptResults,
  SEND_WINDOW_CLOSED,
  settleAttempts,
  type AttemptResult,
  type SettledAttempt,
} from '../../services/messaging/outbox-store';
import { statusCallbackUrl } from '../../services/messaging/send-callback-url';
import { mapBounded } from '../../services/messaging/send-concurrency';
import { openOutbound } from '../../services/messaging/send-fields';
import { loadSubprocessorGate } from '../../services/subprocessors/subprocessor-gate';
import { keysForAccounts } from './account-keys';
import type { SendBatchInput, SendBatchResult } from './dispatch-types';
import type { MessagingActivityDeps } from './messaging-deps';
import { statusEventsFor } from './status-events';

/** Answers written per statement while a batch is still sending. */
const RECORD_CHUNK = 50;

/** A carrier call that threw instead of answering may still have reached the carrier. */
const THREW: SendOutcome = { kind: 'ambiguous', errorCode: 'adapter_error', errorDetail: '' };

function toAttemptResult(attemptId: string, outcome: SendOutcome): AttemptResult {
  return outcome.kind === 'accepted'
    ? { attemptId, outcome: 'accepted', carrierMessageId: outcome.carrierMessageId }
    : // The vendor's detail text can quote the number: only the code is kept.
      { attemptId, outcome: outcome.kind, errorCode: outcome.errorCode };
}

/** Buffers attempt results and writes them in chunks, one write at a time. */
class ChunkedRecorder {
  private buffer: AttemptResult[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (chunk: AttemptResult[]) => Promise<void>,
    private readonly chunkSize = RECORD_CHUNK,
  ) {}

  add(result: AttemptResult): void {
    this.buffer.push(result);
    if (this.buffer.length >= this.chunkSize) void this.drain().catch(() => undefined); // a failed write surfaces in flush()
  }

  /** Writes what is buffered after every earlier write; rejects if any write failed. */
  async flush(): Promise<void> {
    await this.drain();
  }

  private drain(): Promise<void> {
    const chunk = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(() => (chunk.length > 0 ? this.write(chunk) : undefined));
    return this.writing;
  }
}

/** Groups the stored outcomes the way the workflow acts on them. */
function classify(carrier: SendBatchInput['carrier'], settled: SettledAttempt[]): Omit<SendBatchResult, 'suppressed' | 'lost'> {
  const result: Omit<SendBatchResult, 'suppressed' | 'lost'> = {
    carrier,
    sent: [],
    failed: [],
    transient: [],
    ambiguous: [],
    reconcileAt: null,
  };
  const failedByCode = new Map<string, string[]>();
  for (const a of settled) {
    switch (a.outcome) {
      case 'accepted':
      case 'confirmed_sent':
        result.sent.push(a.messageId);
        break;
      case 'permanent': {
        const code = a.errorCode ?? 'permanent';
        const ids = failedByCode.get(code);
        if (ids) ids.push(a.messageId);
        else failedByCode.set(code, [a.messageId]);
        break;
      }
      case 'transient':
      case 'confirmed_not_sent':
        result.transient.push(a.messageId);
        break;
      case 'pending':
      case 'ambiguous': {
        result.ambiguous.push({ messageId: a.messageId, attemptId: a.attemptId });
        const at = a.reconcileAfter?.getTime() ?? Date.now();
        result.reconcileAt = Math.max(result.reconcileAt ?? 0, at);
        break;
      }
    }
  }
  result.failed = [...failedByCode].map(([errorCode, ids]) => ({ errorCode, ids }));
  return result;
}

/**
 * Sends one batch through one carrier: pending attempts are committed before any call, calls run
 * with bounded concurrency, outcomes are recorded and applied, and the workflow gets ids grouped by
 * outcome. A retry of this activity finds its earlier attempts by `sendId`: a pending one may have
 * reached the carrier, so it is ambiguous and reconciled, never sent again.
 */
export function createSendBatch(deps: MessagingActivityDeps) {
  const { pgPool, settings } = deps;
  const statusEvents = statusEventsFor(deps);

  return async function sendBatch(input: SendBatchInput): Promise<SendBatchResult> {
    const ctx = Context.current();
    const carrier = deps.carriers[input.carrier];
    const prepared = await prepareSend(pgPool, statusEvents, {
      claimToken: input.claimToken,
      sendId: input.sendId,
      carrier: input.carrier,
      messageIds: input.messageIds,
      leaseMs: settings.claimLeaseMs,
      reconcileWaitMs: settings.reconcileWaitMs,
      now: settings.clock(),
    });

    const accountIds = prepared.toSend.map((m) => m.accountId);
    const keys = await keysForAccounts(deps, accountIds);
    // Routing already left this carrier out where it may not be used; this is the check at the call
    // itself (one query per batch), so no path reaches a vendor the account may not use.
    const gate = accountIds.length > 0 ? await loadSubprocessorGate(pgPool, accountIds) : null;
    const requests: CarrierSendRequest[] = [];
    const sendBefore = new Map(prepared.toSend.map((m) => [m.attemptId, m.sendBefore]));
    const unsendable: { messageId: string; attemptId: string; code: string }[] = [];
    const notAllowed: AttemptResult[] = [];
    for (const m of prepared.toSend) {
      if (gate && !gate.allowed(m.accountId, input.carrier)) {
        // Nothing was sent: transient, so the message moves on to the account's next allowed route.
        notAllowed.push({ attemptId: m.attemptId, outcome: 'transient', errorCode: 'subprocessor_not_allowed' });
        continue;
      }
      const key = keys.get(m.accountId);
      if (!key) {
        unsendable.push({ messageId: m.messageId, attemptId: m.attemptId, code: 'data_key_destroyed' });
        continue;
      }
      try {
        const { to, body } = openOutbound(key, m.messageId, { recipient: m.recipientSealed, body: m.bodySealed });
        const statusCallback = statusCallbackUrl(deps.publicBaseUrl, input.carrier, m.messageId, m.attemptId);
        requests.push({ messageId: m.messageId, attemptId: m.attemptId, from: m.sender, to, body, statusCallbackUrl: statusCallback });
      } catch (err) {
        if (!(err instanceof SealedFieldError)) throw err;
        unsendable.push({ messageId: m.messageId, attemptId: m.attemptId, code: 'stored_data_unreadable' });
      }
    }
    await failUnsendable(pgPool, statusEvents, input.claimToken, unsendable);

    // Answers are recorded as they come, a chunk at a time: a crash mid-batch leaves only the calls
    // actually in flight pending (ambiguous on retry), not the whole batch.
    const recorder = new ChunkedRecorder((chunk) => recordAttemptResults(pgPool, chunk, settings.reconcileWaitMs));
    for (const result of notAllowed) recorder.add(result);
    const beat = setInterval(() => ctx.heartbeat(), 1_000);
    let results: AttemptResult[];
    try {
      results = await mapBounded(requests, settings.sendConcurrency, async (request) => {
        // prepareSend checked the window; calls queued behind slow ones are checked again as they start.
        const closesAt = sendBefore.get(request.attemptId);
        if (closesAt && settings.clock() >= closesAt) {
          const notCalled: AttemptResult = { attemptId: request.attemptId, outcome: 'transient', errorCode: SEND_WINDOW_CLOSED };
          recorder.add(notCalled);
          return notCalled;
        }
        const result = toAttemptResult(request.attemptId, await carrier.send(request).catch(() => THREW));
        recorder.add(result);
        return result;
      });
      await recorder.flush();
    } finally {
      clearInterval(beat);
    }
    await recordBatchHealth(
      pgPool,
      input.carrier,
      {
        accepted: results.filter((r) => r.outcome === 'accepted').length,
        failed: results.filter((r) => (r.outcome === 'transient' && r.errorCode !== SEND_WINDOW_CLOSED) || r.outcome === 'ambiguous')
          .length,
      },
      settings.breaker,
    );

    const attemptIds = [...prepared.earlier.map((e) => e.attemptId), ...prepared.toSend.map((m) => m.attemptId)];
    const settled = attemptIds.length > 0 ? await settleAttempts(pgPool, statusEvents, input.claimToken, attemptIds) : [];
    return {
      ...classify(input.carrier, settled),
      suppressed: prepared.suppressed,
      lost: prepared.lost,
      windowClosed: prepared.windowClosed,
      spendCapped: prepared.spendCapped,
      suspended: prepared.suspended,
    };
  };
}
