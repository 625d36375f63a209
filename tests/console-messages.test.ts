import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../simulator/types';
import { expectAccessible, screenshots, signInWithPassword, startConsoleStack, type ConsoleStack } from './support/console';
import { HOLDER_PASSWORD, markOwnerVerified, signUpHolder, type TestHolder } from './support/holders';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';
import { waitFor } from './support/webhook-receiver';

let stack: ConsoleStack;
let holder: TestHolder;
let from = '';

beforeAll(async () => {
  stack = await startConsoleStack({ messaging: true });
  holder = await signUpHolder(stack.h, 'Messages Co');
  await markOwnerVerified(holder.accountId);
  const { rows } = await stack.h.deps.pgPool.query<{ id: string }>('select id from api_keys where account_id = $1', [holder.accountId]);
  expect(rows).toHaveLength(1);
  from = await obtainSenderNumber(
    stack.h,
    { accountId: holder.accountId, apiKeyId: rows[0]!.id, apiKey: '', auth: holder.apiKey },
    { sim: stack.sim },
  );
});

afterAll(async () => {
  await stack?.close();
});

const telnyxSendFault = (to: string, fault: FaultRule['fault']): FaultRule => ({ vendor: 'telnyx', op: 'send', rate: 1, to, fault });

async function send(to: string, body: string): Promise<string> {
  const res = await request(stack.h.app).post('/v1/messages').set(holder.apiKey).send({ to, from, body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

async function settled(id: string): Promise<{ status: string; carrier: string | null }> {
  return waitFor(
    async () => {
      const res = await request(stack.h.app).get(`/v1/messages/${id}`).set(holder.apiKey);
      return ['queued', 'sending'].includes(res.body.status as string)
        ? undefined
        : (res.body as { status: string; carrier: string | null });
    },
    `message ${id} settled`,
    30_000,
  );
}

describe('console messages', () => {
  it('lists the messages, narrows them by status exactly, and shows a failover in the attempt timeline', async () => {
    const plain = [freshPhone(), freshPhone()];
    const failover = freshPhone();
    const refused = freshPhone();
    // No receipts: the statuses stay as the send left them (sent or failed), so the filter's answer is fixed.
    await stack.sim.control.setFaults({
      rules: [
        telnyxSendFault(failover, { kind: 'status', status: 503 }),
        telnyxSendFault(refused, { kind: 'error', status: 400, code: '40310', title: 'Invalid to number' }),
      ],
      callbacks: { mode: 'none' },
    });
    const ids = {
      plain0: await send(plain[0]!, 'Hello one'),
      plain1: await send(plain[1]!, 'Hello two'),
      failover: await send(failover, 'Through Twilio'),
      refused: await send(refused, 'Never sent'),
    };
    expect(await settled(ids.plain0)).toMatchObject({ status: 'sent', carrier: 'telnyx' });
    expect(await settled(ids.plain1)).toMatchObject({ status: 'sent', carrier: 'telnyx' });
    expect(await settled(ids.failover)).toMatchObject({ status: 'sent', carrier: 'twilio' });
    expect(await settled(ids.refused)).toMatchObject({ status: 'failed', carrier: 'telnyx' });

    const { page } = await stack.openPage();
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Messages' }).click();
    const log = page.getByRole('region', { name: 'Message log' });
    const rows = log.getByRole('table').getByRole('row');
    await log.getByRole('table').waitFor();
    await expect(rows.count()).resolves.toBe(5);
    await expect(log.getByRole('status').textContent()).resolves.toBe('4 messages, newest first.');
    // Newest first: each row's To, From, Status, Segments and Carrier.
    const cells = async (i: number) => (await rows.nth(i).getByRole('cell').allTextContents()).slice(0, 5);
    expect(await cells(1)).toEqual([refused, from, 'Failed', '1', 'Telnyx']);
    expect(await cells(2)).toEqual([failover, from, 'Sent', '1', 'Twilio']);
    expect(await cells(3)).toEqual([plain[1], from, 'Sent', '1', 'Telnyx']);
    expect(await cells(4)).toEqual([plain[0], from, 'Sent', '1', 'Telnyx']);
    await expectAccessible(page, 'messages');
    await screenshots(page, 'messages');

    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await log.getByRole('status').getByText('1 message matches, newest first.', { exact: true }).waitFor();
    await expect(rows.count()).resolves.toBe(2);
    expect(await cells(1)).toEqual([refused, from, 'Failed', '1', 'Telnyx']);

    await page.getByLabel('Status').selectOption('sent');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await log.getByRole('status').getByText('3 messages match, newest first.', { exact: true }).waitFor();
    await expect(rows.count()).resolves.toBe(4);
    expect((await Promise.all([1, 2, 3].map(cells))).map((c) => c[0])).toEqual([failover, plain[1], plain[0]]);

    // The failed-over message: Telnyx's 503, then Twilio accepted it.
    await rows.nth(1).getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: `Message to ${failover}` }).waitFor();
    const timeline = page.getByRole('list', { name: 'Carrier attempts, oldest first' });
    const attempts = timeline.getByRole('listitem');
    await expect(attempts.count()).resolves.toBe(2);
    await expect(attempts.nth(0).getByRole('heading').textContent()).resolves.toBe('Attempt 1: Telnyx');
    await expect(
      attempts
        .nth(0)
        .getByText(/^Outcome:/)
        .textContent(),
    ).resolves.toBe('Outcome: Temporary failure (carrier code 10007)');
    await expect(attempts.nth(1).locator('.failover-note').textContent()).resolves.toBe('Failover: Telnyx → Twilio');
    await expect(attempts.nth(1).getByRole('heading').textContent()).resolves.toBe('Attempt 2: Twilio');
    await expect(
      attempts
        .nth(1)
        .getByText(/^Outcome:/)
        .textContent(),
    ).resolves.toBe('Outcome: Accepted');
    await expect(
      page
        .getByRole('main')
        .getByRole('status')
        .filter({ hasText: /^Sent$/ })
        .count(),
    ).resolves.toBe(1);
    await expectAccessible(page, 'message-detail');
    await screenshots(page, 'message-detail');

    // The refused one: one attempt, refused, no failover.
    await page.goto(`/app/messages/${ids.refused}`);
    const refusedAttempts = page.getByRole('list', { name: 'Carrier attempts, oldest first' }).getByRole('listitem');
    await refusedAttempts.first().waitFor();
    await expect(refusedAttempts.count()).resolves.toBe(1);
    await expect(
      refusedAttempts
        .first()
        .getByText(/^Outcome:/)
        .textContent(),
    ).resolves.toBe('Outcome: Refused (carrier code 40310)');
    await expect(page.locator('.failover-note').count()).resolves.toBe(0);
  }, 120_000);
});
