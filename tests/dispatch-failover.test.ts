import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultPlanInput, FaultRule } from '../simulator/types';
import { signUp, type TestAccount } from './support/accounts';
import type { Harness } from './support/harness';
import { attemptsOf, insertQueuedMessages, messageStates, waitFor, type StoredMessageState } from './support/outbox';
import type { SimulatorProcess } from './support/simulator-process';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

/**
 * The send path end to end: dispatcher workflows on the real Temporal dev server, the real carrier
 * adapters (official SDKs) against the simulator process, the real database. Each case sends to its
 * own numbers and the fault rules match on `to`, so cases do not see each other's faults.
 */
const RECONCILE_WAIT_MS = 1_500;
const BREAKER = { failureThreshold: 3, coolDownMs: 2_500, probeSize: 2 };
const FROM = '+14155550100';

let stack: WebhookStack;
let sim: SimulatorProcess;
let h: Harness;
let acct: TestAccount;
let nextNumber = 0;
const freshNumber = () => `+1415${String(4000000 + nextNumber++).padStart(7, '0')}`;

beforeAll(async () => {
  // The product listens on a real port so the simulator's signed receipts reach /webhooks/*.
  stack = await startWebhookStack({
    env: { CARRIER_TIMEOUT_MS: '1000', DISPATCH_SHARDS: '2' },
    messaging: { settings: { reconcileWaitMs: RECONCILE_WAIT_MS, lookupRetryMs: 500, breaker: BREAKER } },
  });
  ({ sim, h } = stack);
  acct = await signUp(h.app, 'Failover');
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(async () => {
  await h.deps.pgPool.query('delete from carrier_health');
});

const NO_CALLBACKS: FaultPlanInput['callbacks'] = { mode: 'none' };

async function send(to: string, body = 'hello'): Promise<string> {
  const [id] = await insertQueuedMessages(h.deps, [{ accountId: acct.accountId, from: FROM, to, body }]);
  return id!;
}

const TERMINAL = ['sent', 'delivered', 'undelivered', 'failed', 'suppressed'];

async function settled(ids: string[], timeoutMs = 30_000): Promise<StoredMessageState[]> {
  return waitFor(
    () => messageStates(h.deps, ids),
    (rows) => rows.every((r) => TERMINAL.includes(r.status)),
    timeoutMs,
  );
}

async function ledgerOf(messageId: string): Promise<string[]> {
  const { entries } = await sim.control.ledger({ m: messageId });
  return entries.map((e) => e.vendor);
}

const telnyxSendFault = (to: string, fault: FaultRule['fault']): FaultRule => ({ vendor: 'telnyx', op: 'send', rate: 1, to, fault });

describe('failover to Twilio', () => {
  const cases: { name: string; code: string; plan: (to: string) => FaultPlanInput }[] = [
    { name: '5xx', code: '10007', plan: (to) => ({ rules: [telnyxSendFault(to, { kind: 'status', status: 503 })] }) },
    { name: '429', code: '10011', plan: (to) => ({ rules: [telnyxSendFault(to, { kind: 'status', status: 429 })] }) },
    {
      name: 'refused connection',
      code: 'ECONNREFUSED',
      plan: () => ({ outages: [{ vendor: 'telnyx', startInMs: 0, durationMs: 4_000, mode: 'refuse' }] }),
    },
  ];

  for (const c of cases) {
    it(`a Telnyx ${c.name} goes to Twilio: exactly one ledger entry, at Twilio`, async () => {
      const to = freshNumber();
      await sim.control.setFaults({ ...c.plan(to), callbacks: NO_CALLBACKS });
      const id = await send(to);
      const [state] = await settled([id]);
      expect(state).toMatchObject({ status: 'sent', carrier: 'twilio', error_code: null });
      expect(state!.carrier_message_id).toMatch(/^SM/);
      expect(await ledgerOf(id)).toEqual(['twilio']);
      const attempts = await attemptsOf(h.deps, id);
      expect(attempts.map((a) => [a.carrier, a.outcome, a.error_code])).toEqual([
        ['telnyx', 'transient', c.code],
        ['twilio', 'accepted', null],
      ]);
    });
  }
});

describe('no failover', () => {
  it('a permanent Telnyx refusal fails the message with its code and nothing goes to Twilio', async () => {
    const to = freshNumber();
    await sim.control.setFaults({
      rules: [telnyxSendFault(to, { kind: 'error', status: 400, code: '40310', title: 'Invalid to number' })],
      callbacks: NO_CALLBACKS,
    });
    const id = await send(to);
    const [state] = await settled([id]);
    expect(state).toMatchObject({ status: 'failed', carrier: 'telnyx', error_code: '40310', carrier_message_id: null });
    expect(await ledgerOf(id)).toEqual([]);
    expect((await sim.control.ledger({ to })).entries).toEqual([]);
    expect((await attemptsOf(h.deps, id)).map((a) => [a.carrier, a.outcome])).toEqual([['telnyx', 'permanent']]);
  });
});

describe('ambiguous sends are reconciled before anything else is tried', () => {
  it('a timeout after Telnyx took the message, then its receipt: sent once, no failover, decided by the receipt alone', async () => {
    const to = freshNumber();
    await sim.control.setFaults({
      rules: [
        telnyxSendFault(to, { kind: 'ambiguous', mode: 'timeout', callback: true }),
        // The carrier cannot be asked about this number: only the receipt can settle the attempt.
        { vendor: 'telnyx', op: 'list', rate: 1, to, fault: { kind: 'status', status: 503 } },
      ],
      // The receipt lands after the 1 s send timeout has made the attempt ambiguous.
      callbacks: { mode: 'all', delayMs: [1_200, 1_300] },
    });
    const id = await send(to);
    const [state] = await settled([id]);
    expect(state).toMatchObject({ carrier: 'telnyx' });
    expect(['sent', 'delivered']).toContain(state!.status);
    expect(await ledgerOf(id)).toEqual(['telnyx']);
    const attempts = await attemptsOf(h.deps, id);
    expect(attempts.map((a) => [a.carrier, a.outcome, a.error_code])).toEqual([['telnyx', 'confirmed_sent', 'TIMEOUT']]);
    const callbacks = await sim.control.callbacks({ m: id });
    expect(callbacks.filter((c) => c.kind === 'status').every((c) => c.answerStatus === 200)).toBe(true);
  });

  it('a timeout after Telnyx took the message, no receipt: the lookup finds it, it is sent once, no failover', async () => {
    const to = freshNumber();
    await sim.control.setFaults({
      rules: [telnyxSendFault(to, { kind: 'ambiguous', mode: 'timeout', callback: false })],
      callbacks: NO_CALLBACKS,
    });
    const id = await send(to);
    const [state] = await settled([id]);
    expect(state).toMatchObject({ status: 'sent', carrier: 'telnyx' });
    expect(await ledgerOf(id)).toEqual(['telnyx']);
    expect((await attemptsOf(h.deps, id)).map((a) => [a.carrier, a.outcome])).toEqual([['telnyx', 'confirmed_sent']]);
  });

  it('a reset before Telnyx recorded anything, no receipt: the lookup proves it was not sent, then it fails over once', async () => {
    const to = freshNumber();
    await sim.control.setFaults({ rules: [telnyxSendFault(to, { kind: 'reset_before' })], callbacks: NO_CALLBACKS });
    const id = await send(to);
    const [state] = await settled([id]);
    expect(state).toMatchObject({ status: 'sent', carrier: 'twilio' });
    expect(await ledgerOf(id)).toEqual(['twilio']);
    expect((await attemptsOf(h.deps, id)).map((a) => [a.carrier, a.outcome])).toEqual([
      ['telnyx', 'confirmed_not_sent'],
      ['twilio', 'accepted'],
    ]);
  });
});

describe('an ambiguous send whose account key is destroyed meanwhile', () => {
  it('ends failed with outcome_unknown_data_key_destroyed instead of being looked up forever, and never fails over', async () => {
    const gone = await signUp(h.app, 'Failover key destroyed');
    const to = freshNumber();
    await sim.control.setFaults({
      rules: [telnyxSendFault(to, { kind: 'ambiguous', mode: 'timeout', callback: false })],
      callbacks: NO_CALLBACKS,
    });
    const [id] = await insertQueuedMessages(h.deps, [{ accountId: gone.accountId, from: FROM, to, body: 'hello' }]);
    // The carrier call is in flight (its attempt pending) for the 1 s send timeout: destroy the key then.
    const pending = await waitFor(
      () => attemptsOf(h.deps, id!),
      (a) => a.length === 1,
      10_000,
      20,
    );
    expect(pending.map((a) => a.outcome)).toEqual(['pending']);
    await h.deps.orm.em.fork().transactional((em) => h.deps.keyring.destroy(em, gone.accountId));
    const [state] = await settled([id!]);
    expect(state).toMatchObject({ status: 'failed', carrier: 'telnyx', error_code: 'outcome_unknown_data_key_destroyed' });
    expect((await attemptsOf(h.deps, id!)).map((a) => [a.carrier, a.outcome, a.error_code])).toEqual([
      ['telnyx', 'permanent', 'outcome_unknown_data_key_destroyed'],
    ]);
    expect(await ledgerOf(id!)).toEqual(['telnyx']);
  });
});

describe('carrier circuit breaker', () => {
  async function breakerState(): Promise<string> {
    const { rows } = await h.deps.pgPool.query<{ state: string }>(`select state from carrier_health where carrier = 'telnyx'`);
    return rows[0]?.state ?? 'closed';
  }

  it('a Telnyx outage opens it, traffic goes straight to Twilio, and a probe brings Telnyx back', { timeout: 90_000 }, async () => {
    const OUTAGE_MS = 6_000;
    await sim.control.setFaults({
      outages: [{ vendor: 'telnyx', startInMs: 0, durationMs: OUTAGE_MS, mode: 'refuse' }],
      callbacks: NO_CALLBACKS,
    });
    const outageEnds = Date.now() + OUTAGE_MS;

    // First wave: refused at Telnyx, failed over; enough failures open the breaker.
    const first = await Promise.all(Array.from({ length: 5 }, () => send(freshNumber())));
    expect((await settled(first)).map((s) => s.carrier)).toEqual(Array(5).fill('twilio'));
    expect(await breakerState()).toBe('open');

    // While it is open: straight to Twilio, no Telnyx attempt at all.
    const during = await Promise.all(Array.from({ length: 5 }, () => send(freshNumber())));
    expect((await settled(during)).map((s) => s.carrier)).toEqual(Array(5).fill('twilio'));
    for (const id of during) expect((await attemptsOf(h.deps, id)).map((a) => a.carrier)).toEqual(['twilio']);
    expect(Date.now()).toBeLessThan(outageEnds);

    // After the outage and the cool-down a probe goes to Telnyx, succeeds and closes the breaker.
    await waitFor(
      () => Promise.resolve(Date.now()),
      (now) => now > outageEnds + BREAKER.coolDownMs,
      OUTAGE_MS + BREAKER.coolDownMs + 1_000,
    );
    const after: string[] = [];
    const closed = await waitFor(
      async () => {
        after.push(await send(freshNumber()));
        await settled(after);
        return breakerState();
      },
      (state) => state === 'closed',
      30_000,
      500,
    );
    expect(closed).toBe('closed');
    const later = await Promise.all(Array.from({ length: 3 }, () => send(freshNumber())));
    expect((await settled(later)).map((s) => s.carrier)).toEqual(Array(3).fill('telnyx'));

    // Every message of the whole episode is at the simulator exactly once.
    for (const id of [...first, ...during, ...after, ...later]) expect(await ledgerOf(id)).toHaveLength(1);
  });
});
