import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusEventsFor } from '../activities/messaging/status-events';
import type { DispatchStatusEvents } from '../services/messaging/dispatch-status-events';
import { readAvailability, recordBatchHealth, type BreakerSettings } from '../services/messaging/carrier-breaker';
import { claimMessages, prepareSend, recordAttemptResults, releaseExpiredClaims, settleAttempts } from '../services/messaging/outbox-store';
import { signUp, type TestAccount } from './support/accounts';
import { startHarness, type Harness } from './support/harness';
import { attemptsOf, insertQueuedMessages, messageStates } from './support/outbox';

let h: Harness;
let acct: TestAccount;
let events: DispatchStatusEvents;
const FROM = '+15550000001';
const to = (i: number) => `+1415${String(3000000 + i).padStart(7, '0')}`;

beforeAll(async () => {
  h = await startHarness();
  acct = await signUp(h.app, 'Outbox');
  events = statusEventsFor(h.deps);
});
afterAll(async () => {
  await h.close();
});

/** Each test drains what it queued so claims in later tests see only their own rows. */
async function queue(n: number, offset = 0): Promise<string[]> {
  await h.deps.pgPool.query(`update messages set status = 'failed' where status in ('queued', 'sending')`);
  return insertQueuedMessages(
    h.deps,
    Array.from({ length: n }, (_, i) => ({ accountId: acct.accountId, from: FROM, to: to(offset + i), body: `hello ${i}` })),
  );
}

describe('outbox claims', () => {
  it('concurrent claims take disjoint batches and together take every due message (SKIP LOCKED)', async () => {
    const ids = await queue(400);
    const claims = await Promise.all([0, 1, 2, 3].map((n) => claimMessages(h.deps.pgPool, `t:concurrent:${n}`, 100, 60_000)));
    const all = claims.flatMap((c) => c.map((m) => m.id));
    expect(claims.map((c) => c.length)).toEqual([100, 100, 100, 100]);
    expect(new Set(all).size).toBe(400);
    expect(new Set(all)).toEqual(new Set(ids));
  });

  it('a claim never waits behind rows another claim holds locked: it takes the free ones at once', async () => {
    await queue(100);
    const holder = await h.deps.pgPool.connect();
    try {
      await holder.query('begin');
      await holder.query(`select id from messages where status = 'queued' order by next_attempt_at limit 50 for update`);
      const claimed = await Promise.race([
        claimMessages(h.deps.pgPool, 't:busy', 100, 60_000),
        new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 3_000)),
      ]);
      expect(claimed === 'blocked' ? 'blocked' : claimed.length).toBe(50);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
  });

  it('a retried claim with the same token returns the same rows and claims nothing more', async () => {
    await queue(30);
    const first = await claimMessages(h.deps.pgPool, 't:retry', 10, 60_000);
    const again = await claimMessages(h.deps.pgPool, 't:retry', 10, 60_000);
    expect(first).toHaveLength(10);
    expect(again).toEqual(first);
    const { rows } = await h.deps.pgPool.query(`select count(*)::int as n from messages where status = 'queued'`);
    expect(rows[0].n).toBe(20);
  });

  it('an expired lease returns a message to the outbox only when no carrier call may have happened', async () => {
    const ids = await queue(2);
    const claimed = await claimMessages(h.deps.pgPool, 't:lease', 2, 60_000);
    expect(claimed).toHaveLength(2);
    // One message gets a pending attempt (a call may be in flight), then both leases run out.
    await prepareSend(h.deps.pgPool, events, {
      claimToken: 't:lease',
      sendId: 't:lease:telnyx',
      carrier: 'telnyx',
      messageIds: [ids[0]!],
      leaseMs: 60_000,
      reconcileWaitMs: 1_000,
    });
    await h.deps.pgPool.query(`update messages set claimed_until = now() - interval '1 second' where id = any($1::uuid[])`, [ids]);
    expect(await releaseExpiredClaims(h.deps.pgPool)).toBe(1);
    const status = new Map((await messageStates(h.deps, ids)).map((s) => [s.id, s.status]));
    expect([status.get(ids[0]!), status.get(ids[1]!)]).toEqual(['sending', 'queued']);
  });
});

describe('send preparation', () => {
  it('a retried send turns its own pending attempts into ambiguous ones and writes no new attempt', async () => {
    const ids = await queue(3);
    await claimMessages(h.deps.pgPool, 't:crash', 3, 60_000);
    const input = {
      claimToken: 't:crash',
      sendId: 't:crash:telnyx',
      carrier: 'telnyx' as const,
      messageIds: ids,
      leaseMs: 60_000,
      reconcileWaitMs: 1_000,
    };
    const first = await prepareSend(h.deps.pgPool, events, input);
    expect(first.toSend).toHaveLength(3);
    // The worker "dies" after the first message's answer was recorded; the activity is retried.
    await recordAttemptResults(
      h.deps.pgPool,
      [{ attemptId: first.toSend[0]!.attemptId, outcome: 'accepted', carrierMessageId: 'tx-1' }],
      1_000,
    );
    const retry = await prepareSend(h.deps.pgPool, events, input);
    expect(retry.toSend).toEqual([]);
    expect(retry.earlier.map((e) => e.outcome).sort()).toEqual(['accepted', 'ambiguous', 'ambiguous']);
    for (const id of ids) expect(await attemptsOf(h.deps, id)).toHaveLength(1);
  });

  it('a recipient who opted out after the claim is suppressed, never sent; a keyword reply to them still goes', async () => {
    const ids = await queue(2, 500);
    const reply = await insertQueuedMessages(h.deps, [
      { accountId: acct.accountId, from: FROM, to: to(500), body: 'You are unsubscribed', kind: 'keyword_reply' },
    ]);
    await claimMessages(h.deps.pgPool, 't:stop', 10, 60_000);
    const res = await request(h.app)
      .post('/v1/opt-outs')
      .set(acct.auth)
      .send({ phone: to(500) });
    expect(res.status).toBe(201);
    const prepared = await prepareSend(h.deps.pgPool, events, {
      claimToken: 't:stop',
      sendId: 't:stop:telnyx',
      carrier: 'telnyx',
      messageIds: [...ids, ...reply],
      leaseMs: 60_000,
      reconcileWaitMs: 1_000,
    });
    expect(prepared.suppressed).toEqual([ids[0]]);
    expect(prepared.toSend.map((m) => m.messageId).sort()).toEqual([ids[1], reply[0]].sort());
    expect((await messageStates(h.deps, [ids[0]!]))[0]!.status).toBe('suppressed');
    expect(await attemptsOf(h.deps, ids[0]!)).toEqual([]);
  });

  it('a send that lost its claim touches nothing', async () => {
    const ids = await queue(1);
    await claimMessages(h.deps.pgPool, 't:old', 1, 60_000);
    await h.deps.pgPool.query(`update messages set claim_token = 't:new' where id = $1`, [ids[0]]);
    const prepared = await prepareSend(h.deps.pgPool, events, {
      claimToken: 't:old',
      sendId: 't:old:telnyx',
      carrier: 'telnyx',
      messageIds: ids,
      leaseMs: 60_000,
      reconcileWaitMs: 1_000,
    });
    expect(prepared).toEqual({ lost: ids, suppressed: [], windowClosed: [], spendCapped: [], suspended: [], earlier: [], toSend: [] });
  });

  it('an accepted attempt never moves a message a receipt already delivered back to sent', async () => {
    const ids = await queue(1);
    await claimMessages(h.deps.pgPool, 't:fwd', 1, 60_000);
    const prepared = await prepareSend(h.deps.pgPool, events, {
      claimToken: 't:fwd',
      sendId: 't:fwd:telnyx',
      carrier: 'telnyx',
      messageIds: ids,
      leaseMs: 60_000,
      reconcileWaitMs: 1_000,
    });
    const attemptId = prepared.toSend[0]!.attemptId;
    // The receipt beat the send's own answer.
    await h.deps.pgPool.query(`update message_attempts set outcome = 'accepted', carrier_message_id = 'tx-r' where id = $1`, [attemptId]);
    await h.deps.pgPool.query(`update messages set status = 'delivered' where id = $1`, [ids[0]]);
    await recordAttemptResults(h.deps.pgPool, [{ attemptId, outcome: 'ambiguous', errorCode: 'timeout' }], 1_000);
    const settled = await settleAttempts(h.deps.pgPool, events, 't:fwd', [attemptId]);
    expect(settled.map((s) => s.outcome)).toEqual(['accepted']);
    expect(await messageStates(h.deps, ids)).toEqual([
      { id: ids[0], status: 'delivered', carrier: 'telnyx', carrier_message_id: 'tx-r', error_code: null },
    ]);
  });
});

describe('carrier breaker', () => {
  const settings: BreakerSettings = { failureThreshold: 5, coolDownMs: 300, probeSize: 2 };

  it('opens after consecutive failures, lets exactly one caller probe after the cool-down, and closes on success', async () => {
    await h.deps.pgPool.query(`delete from carrier_health`);
    await recordBatchHealth(h.deps.pgPool, 'telnyx', { accepted: 0, failed: 4 }, settings);
    expect((await readAvailability(h.deps.pgPool, ['telnyx', 'twilio'], settings)).telnyx).toBe('closed');
    await recordBatchHealth(h.deps.pgPool, 'telnyx', { accepted: 0, failed: 1 }, settings);
    expect(await readAvailability(h.deps.pgPool, ['telnyx', 'twilio'], settings)).toEqual({ telnyx: 'open', twilio: 'closed' });

    await new Promise((resolve) => setTimeout(resolve, settings.coolDownMs + 50));
    const views = await Promise.all([0, 1, 2, 3].map(() => readAvailability(h.deps.pgPool, ['telnyx'], settings)));
    expect(views.map((v) => v.telnyx).sort()).toEqual(['open', 'open', 'open', 'probe']);

    // A failed probe re-opens it for another cool-down; a successful one closes it.
    await recordBatchHealth(h.deps.pgPool, 'telnyx', { accepted: 0, failed: 2 }, settings);
    expect((await readAvailability(h.deps.pgPool, ['telnyx'], settings)).telnyx).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, settings.coolDownMs + 50));
    expect((await readAvailability(h.deps.pgPool, ['telnyx'], settings)).telnyx).toBe('probe');
    await recordBatchHealth(h.deps.pgPool, 'telnyx', { accepted: 2, failed: 0 }, settings);
    expect((await readAvailability(h.deps.pgPool, ['telnyx'], settings)).telnyx).toBe('closed');
  });
});
