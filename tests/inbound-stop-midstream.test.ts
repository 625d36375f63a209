import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneHash } from '../lib/crypto/phone-hash';
import { signUp, type TestAccount } from './support/accounts';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { waitFor } from './support/outbox';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

/**
 * STOP while a stream of messages to the number is being sent, with the real dispatcher (small
 * batches, a slow carrier): the rest is suppressed, nothing suppressed ever reaches the carrier, and
 * the one confirmation does.
 */
let stack: WebhookStack;
let acct: TestAccount;
let OUR = '';
const COUNT = 200;

beforeAll(async () => {
  stack = await startWebhookStack({ env: { DISPATCH_SHARDS: '1', DISPATCH_BATCH_SIZE: '10' }, messaging: true });
  acct = await signUp(stack.h.app, 'Midstream');
  OUR = await obtainSenderNumber(stack.h, acct, { sim: stack.sim });
});
afterAll(() => stack?.close());

describe('STOP mid-stream', () => {
  it('suppresses the rest, sends none of them, and sends exactly one confirmation', async () => {
    const to = freshPhone();
    await stack.sim.control.setFaults({ latencyMs: { telnyx: 150 }, callbacks: { mode: 'none' } });
    const batch = await request(stack.h.app)
      .post('/v1/messages/batch')
      .set(acct.auth)
      .send({ messages: Array.from({ length: COUNT }, (_, i) => ({ to, from: OUR, body: `update ${i}` })) });
    expect(batch.body.accepted).toBe(COUNT);
    const ids = new Set<string>(batch.body.results.map((r: { id: string }) => r.id));

    await waitFor(
      async () => (await stack.sim.control.ledger({ to })).total,
      (n) => n > 0,
      20_000,
      20,
    );
    expect((await stack.sim.control.inbound({ vendor: 'telnyx', from: to, to: OUR, text: 'STOP' })).status).toBe(200);

    const sql = <T>(q: string, p: unknown[]) => stack.h.deps.orm.em.fork().execute<T[]>(q, p);
    const hash = phoneHash(stack.h.deps.keys.phoneHashKey, to);
    const rows = await waitFor(
      () =>
        sql<{ id: string; kind: string; status: string }>(
          `select id, kind, status from messages where account_id = ? and recipient_hash = ? and direction = 'outbound'`,
          [acct.accountId, hash],
        ),
      (all) => all.length === COUNT + 1 && all.every((m) => ['sent', 'suppressed'].includes(m.status)),
      60_000,
    );
    await stack.sim.control.clearFaults();
    const updates = rows.filter((r) => ids.has(r.id));
    const sent = updates.filter((r) => r.status === 'sent').map((r) => r.id);
    const suppressed = updates.filter((r) => r.status === 'suppressed').map((r) => r.id);
    expect(sent.length + suppressed.length).toBe(COUNT);
    expect(suppressed.length).toBeGreaterThan(0);

    const ledger = (await stack.sim.control.ledger({ to })).entries;
    const reply = rows.find((r) => r.kind === 'keyword_reply')!;
    expect(reply.status).toBe('sent');
    expect(ledger.filter((e) => e.m === reply.id).map((e) => [e.from, e.text])).toEqual([
      [OUR, 'Midstream: You are unsubscribed and will receive no more messages. Reply START to resubscribe.'],
    ]);
    const suppressedSet = new Set(suppressed);
    expect(ledger.filter((e) => suppressedSet.has(e.m!))).toEqual([]);
    expect(
      ledger
        .filter((e) => ids.has(e.m!))
        .map((e) => e.m)
        .sort(),
    ).toEqual([...sent].sort());
  });
});
