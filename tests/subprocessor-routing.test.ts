import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestAccount } from './support/accounts';
import type { Harness } from './support/harness';
import { attemptsOf, insertQueuedMessages, messageStates, waitFor } from './support/outbox';
import type { SimulatorProcess } from './support/simulator-process';
import { startWebhookStack, type WebhookStack } from './support/webhook-stack';

/**
 * The subprocessor gate on the real send path: dispatchers on the dev server, both carrier adapters
 * against the simulator. An account whose objection to Telnyx stayed unresolved (the state the
 * subprocessor process leaves when a new carrier becomes active over an objection) never reaches
 * Telnyx, even as the primary route; other accounts keep using it, and failover still works for them.
 */
const FROM = '+14155550100';
let stack: WebhookStack;
let sim: SimulatorProcess;
let h: Harness;
let objector: TestAccount;
let other: TestAccount;
let n = 0;
const freshNumber = () => `+1415${String(6000000 + n++).padStart(7, '0')}`;

async function sendAndSettle(account: TestAccount): Promise<string> {
  const [id] = await insertQueuedMessages(h.deps, [{ accountId: account.accountId, from: FROM, to: freshNumber(), body: 'hello' }]);
  const [state] = await waitFor(
    () => messageStates(h.deps, [id!]),
    (rows) => rows.every((r) => ['sent', 'delivered', 'failed', 'undelivered'].includes(r.status)),
    30_000,
  );
  expect(['sent', 'delivered']).toContain(state!.status);
  return id!;
}
const vendorsReached = async (messageId: string) => (await sim.control.ledger({ m: messageId })).entries.map((e) => e.vendor);

beforeAll(async () => {
  stack = await startWebhookStack({ env: { DISPATCH_SHARDS: '1' }, messaging: true });
  ({ sim, h } = stack);
  objector = await signUp(h.app, 'Objects to Telnyx');
  other = await signUp(h.app, 'No objection');
  await h.deps.pgPool.query(
    `insert into subprocessor_objections (id, subprocessor_id, account_id, reason, status, created_at, resolved_at)
     select $1, id, $2, 'Telnyx is outside our approved list', 'unresolved', now(), now() from subprocessors where vendor = 'telnyx'`,
    [randomUUID(), objector.accountId],
  );
});
afterAll(async () => {
  await stack?.close();
});

describe('subprocessor gate on the send path', () => {
  it('an unresolved objection keeps the account off that carrier; others still use it', async () => {
    const objectorMessages = [await sendAndSettle(objector), await sendAndSettle(objector)];
    for (const id of objectorMessages) {
      expect(await vendorsReached(id)).toEqual(['twilio']);
      // Routing left Telnyx out: not even an attempt was written for it (the send-time check is the backstop).
      expect((await attemptsOf(h.deps, id)).map((a) => a.carrier)).toEqual(['twilio']);
    }
    expect(await vendorsReached(await sendAndSettle(other))).toEqual(['telnyx']);
  });

  it('a resolved objection lets the account use the carrier again', async () => {
    await h.deps.pgPool.query(`update subprocessor_objections set status = 'resolved' where account_id = $1`, [objector.accountId]);
    expect(await vendorsReached(await sendAndSettle(objector))).toEqual(['telnyx']);
  });
});
