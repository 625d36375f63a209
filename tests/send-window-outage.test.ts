import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasUnfinishedMessages } from '../services/campaigns/campaign-store';
import { signUp, type TestAccount } from './support/accounts';
import type { Harness } from './support/harness';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { messageStates, waitFor } from './support/outbox';
import type { SimulatorProcess } from './support/simulator-process';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';
import { campaignEnqueuedAt, windowStateOf } from './support/windowed-campaign';

/**
 * Quiet hours at the carrier call, end to end: the dispatcher workflows on the Temporal dev server,
 * the real adapters (official SDKs) against the simulator process, the real database. 20:00 in
 * Florida and 08:00 the next morning are reached by shifting one clock instead of waiting 12 hours:
 * the send path's clock (DispatchSettings.clock: claim, prepareSend, the call, requeue, re-plan) and
 * the simulator's (the ledger's timestamps) move together, so the ledger's `acceptedAt` is the
 * instant asserted. Monday 2026-12-07, Eastern time (EST, UTC−5): a Miami number, Florida's 08:00–20:00.
 */
let stack: WebhookStack;
let sim: SimulatorProcess;
let h: Harness;
let acct: TestAccount;
let FROM = '';
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
const at = (iso: string) => new Date(iso);

/** Moves the product's send path and the simulator to `instant` (both then run on from there). */
async function setClock(instant: Date): Promise<void> {
  offsetMs = instant.getTime() - Date.now();
  await sim.control.setClock(offsetMs);
}

const localHour = (iso: string) =>
  Number(new Date(iso).toLocaleString('en-US', { timeZone: 'America/New_York', hour: 'numeric', hour12: false }));

async function attemptTimes(messageId: string) {
  const { rows } = await h.deps.pgPool.query<{ carrier: string; outcome: string; error_code: string | null; created_at: Date }>(
    'select carrier, outcome, error_code, created_at from message_attempts where message_id = $1 order by created_at, id',
    [messageId],
  );
  return rows;
}

beforeAll(async () => {
  stack = await startWebhookStack({
    // One shard, and one carrier call at a time per send: a batch's calls run one after another.
    env: { CARRIER_TIMEOUT_MS: '5000', DISPATCH_SHARDS: '1' },
    messaging: {
      settings: {
        clock,
        sendConcurrency: 1,
        reconcileWaitMs: 1_500,
        lookupRetryMs: 500,
        // A first retry 20 s after two failed calls: the evening's first round is alone before 20:00 is reached.
        requeue: { maxFailedAttempts: 10, baseBackoffMs: 5_000, maxBackoffMs: 5 * 60_000 },
      },
    },
  });
  ({ sim, h } = stack);
  acct = await signUp(h.app, 'Florida evening');
  FROM = await obtainSenderNumber(h, acct, { sim });
});
afterAll(async () => {
  if (acct)
    await h.deps.pgPool.query(
      `update messages set status = 'failed', error_code = 'test_cleanup' where account_id = $1 and status in ('queued', 'sending')`,
      [acct.accountId],
    );
  await stack?.close();
});

describe('a Telnyx outage that outlasts a Florida recipient’s 20:00 close', () => {
  it(
    'sends nothing to that number after 20:00 local, counts the message waiting, and sends it after 08:00 next day',
    { timeout: 120_000 },
    async () => {
      const to = freshPhone('+1305');
      const telnyxDown = { vendor: 'telnyx' as const, startInMs: 0, durationMs: 15 * 60_000, mode: 'refuse' as const };
      // Telnyx is down all along; Twilio refuses this number too until just after 20:00.
      await sim.control.setFaults({
        outages: [telnyxDown],
        rules: [{ vendor: 'twilio', op: 'send', rate: 1, to, fault: { kind: 'status', status: 503 } }],
        callbacks: { mode: 'none' },
      });
      await setClock(at('2026-12-08T00:59:00Z')); // 19:59 EST
      const { campaignId, messageIds } = await campaignEnqueuedAt(h, acct, FROM, [to], clock());
      const id = messageIds[to]!;

      // The first round inside the window: both carriers fail, the message goes back to the outbox with a backoff.
      const evening = await waitFor(
        async () => ({ attempts: await attemptTimes(id), state: await windowStateOf(h, id) }),
        ({ attempts, state }) => attempts.length === 2 && state.status === 'queued',
        20_000,
        50,
      );
      expect(evening.attempts.map((a) => [a.carrier, a.outcome, a.error_code, localHour(a.created_at.toISOString())])).toEqual([
        ['telnyx', 'transient', 'ECONNREFUSED', 19],
        ['twilio', 'transient', '20500', 19],
      ]);
      expect(evening.state).toMatchObject({ sendBefore: '2026-12-08T01:00:00.000Z', waitReason: null });

      // 20:00 passes, then Twilio recovers while Telnyx stays down: the retry is due, but its window has closed.
      await setClock(at('2026-12-08T01:00:30Z')); // 20:00:30 EST
      await sim.control.setFaults({ outages: [telnyxDown], callbacks: { mode: 'none' } });
      const waiting = await waitFor(
        () => windowStateOf(h, id),
        (s) => s.waitReason === 'quiet_hours' && s.nextAttemptAt === '2026-12-08T13:00:00.000Z',
        30_000,
      );
      expect(waiting).toEqual({
        status: 'queued',
        sendBefore: '2026-12-09T01:00:00.000Z',
        nextAttemptAt: '2026-12-08T13:00:00.000Z',
        waitReason: 'quiet_hours',
        claimed: false,
      });
      expect(await attemptTimes(id)).toHaveLength(2);
      expect((await sim.control.ledger({ to })).entries).toEqual([]);
      const overnight = (await request(h.app).get(`/v1/campaigns/${campaignId}`).set(acct.auth)).body.progress;
      expect(overnight.messages).toMatchObject({ queued: 0, waiting: 1, sending: 0, sent: 0, failed: 0 });
      expect(await hasUnfinishedMessages(h.deps.pgPool, campaignId)).toBe(true);

      // Next morning, Telnyx still down: the message goes at the opening, through Twilio, once.
      await setClock(at('2026-12-08T13:00:30Z')); // 08:00:30 EST
      const [sent] = await waitFor(
        () => messageStates(h.deps, [id]),
        ([s]) => s?.status === 'sent',
        30_000,
      );
      expect(sent).toMatchObject({ status: 'sent', carrier: 'twilio' });
      const { entries } = await sim.control.ledger({ to });
      expect(entries.map((e) => [e.vendor, e.m])).toEqual([['twilio', id]]);
      const acceptedAt = new Date(entries[0]!.acceptedAt).getTime();
      expect(acceptedAt).toBeGreaterThanOrEqual(at('2026-12-08T13:00:30Z').getTime());
      expect(acceptedAt).toBeLessThan(at('2026-12-08T13:02:00Z').getTime());
      expect(localHour(entries[0]!.acceptedAt)).toBe(8);
      const attempts = await attemptTimes(id);
      expect(attempts.map((a) => [a.carrier, a.outcome, a.error_code, localHour(a.created_at.toISOString())])).toEqual([
        ['telnyx', 'transient', 'ECONNREFUSED', 19],
        ['twilio', 'transient', '20500', 19],
        ['telnyx', 'transient', 'ECONNREFUSED', 8],
        ['twilio', 'accepted', null, 8],
      ]);
      const morning = (await request(h.app).get(`/v1/campaigns/${campaignId}`).set(acct.auth)).body.progress;
      expect(morning.messages).toMatchObject({ queued: 0, waiting: 0, sending: 0, sent: 1 });
    },
  );
});

describe('a call that would start after the close', () => {
  it(
    'is not made when it waited behind a slow call begun at 19:59: that message waits for 08:00, the slow one is reconciled and sent once',
    { timeout: 120_000 },
    async () => {
      const numbers = [freshPhone('+1305'), freshPhone('+1305')];
      // Telnyx takes either message and never answers (the client gives up after 5 s): the call is in flight, not refused.
      await sim.control.setFaults({
        rules: numbers.map((to) => ({
          vendor: 'telnyx' as const,
          op: 'send' as const,
          rate: 1,
          to,
          fault: { kind: 'ambiguous' as const, mode: 'timeout' as const, callback: false },
        })),
        callbacks: { mode: 'none' },
      });
      await setClock(at('2026-12-08T00:59:00Z')); // 19:59 EST
      const { messageIds } = await campaignEnqueuedAt(h, acct, FROM, numbers, clock());
      const ledgerOf = async (to: string) => (await sim.control.ledger({ to })).entries;

      // Both messages are in one send to Telnyx, one call at a time; the first reached Telnyx at 19:59 and hangs.
      const seen = await waitFor(
        () => Promise.all(numbers.map(ledgerOf)),
        (entries) => entries.flat().length === 1,
        20_000,
        20,
      );
      const firstTo = numbers[seen.findIndex((e) => e.length === 1)]!;
      const secondTo = numbers.find((n) => n !== firstTo)!;
      expect(localHour(seen.flat()[0]!.acceptedAt)).toBe(19);
      await setClock(at('2026-12-08T01:00:30Z')); // 20:00:30 EST, while the first call hangs

      // The second call would start after 20:00: not made (nothing sent), and its failover finds the window closed.
      const second = messageIds[secondTo]!;
      const waiting = await waitFor(
        () => windowStateOf(h, second),
        (s) => s.waitReason === 'quiet_hours' && s.nextAttemptAt === '2026-12-08T13:00:00.000Z',
        30_000,
      );
      expect(waiting).toMatchObject({ status: 'queued', sendBefore: '2026-12-09T01:00:00.000Z', claimed: false });
      expect((await attemptTimes(second)).map((a) => [a.carrier, a.outcome, a.error_code])).toEqual([
        ['telnyx', 'transient', 'send_window_closed'],
      ]);
      expect(await ledgerOf(secondTo)).toEqual([]);

      // The first call began inside its window: the carrier has it (found by the lookup), sent once.
      const first = messageIds[firstTo]!;
      const [firstState] = await waitFor(
        () => messageStates(h.deps, [first]),
        ([s]) => s?.status === 'sent',
        30_000,
      );
      expect(firstState).toMatchObject({ status: 'sent', carrier: 'telnyx' });
      expect((await attemptTimes(first)).map((a) => [a.carrier, a.outcome])).toEqual([['telnyx', 'confirmed_sent']]);
      expect((await ledgerOf(firstTo)).map((e) => [e.vendor, e.m, localHour(e.acceptedAt)])).toEqual([['telnyx', first, 19]]);

      // Next morning, Telnyx answering again: the second goes once, at 08:00.
      await sim.control.setFaults({ callbacks: { mode: 'none' } });
      await setClock(at('2026-12-08T13:00:30Z'));
      await waitFor(
        () => messageStates(h.deps, [second]),
        ([s]) => s?.status === 'sent',
        30_000,
      );
      expect((await ledgerOf(secondTo)).map((e) => [e.vendor, e.m, localHour(e.acceptedAt)])).toEqual([['telnyx', second, 8]]);
      expect((await ledgerOf(firstTo)).map((e) => e.m)).toEqual([first]);
    },
  );
});
