import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { zoneAtLocalHour } from './support/audience';
import { expectAccessible, screenshots, signInWithPassword, startConsoleStack, type ConsoleStack } from './support/console';
import { HOLDER_PASSWORD, markOwnerVerified, signUpHolder, type TestHolder } from './support/holders';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';

/**
 * The dashboard against the real stack: messages sent through the API and delivered by the
 * simulator's carriers, a spend cap set through the API, and a campaign that stays running (its one
 * recipient is in the middle of the night) shown with its live progress.
 */
let stack: ConsoleStack;
let holder: TestHolder;
let from = '';

const api = () => request(stack.h.app);
const figure = (page: Page, name: string) => page.locator(`[data-figure="${name}"]`).first();
const SENT = 3;

beforeAll(async () => {
  stack = await startConsoleStack({ worker: true, messaging: true });
  holder = await signUpHolder(stack.h, 'Dashboard Co');
  await markOwnerVerified(holder.accountId);
  const { rows } = await stack.h.deps.pgPool.query<{ id: string }>('select id from api_keys where account_id = $1', [holder.accountId]);
  expect(rows).toHaveLength(1);
  from = await obtainSenderNumber(
    stack.h,
    { accountId: holder.accountId, apiKeyId: rows[0]!.id, apiKey: holder.apiKey.Authorization.slice(7), auth: holder.apiKey },
    { sim: stack.sim },
  );
});

afterAll(async () => {
  await stack?.close();
});

describe('console dashboard', () => {
  it('shows today’s messages, the delivery rate and the month’s spend as the API reports them, and a running campaign', async () => {
    for (let i = 0; i < SENT; i++) {
      const res = await api()
        .post('/v1/messages')
        .set(holder.apiKey)
        .send({ from, to: freshPhone(), body: `Your code is ${1000 + i}` });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    // Every message delivered (the simulator's receipts): the figures stand still from here.
    await expect
      .poll(
        async () =>
          (await api().get('/v1/messages').query({ direction: 'outbound', status: 'delivered' }).set(holder.apiKey)).body.data.length,
        { timeout: 30_000 },
      )
      .toBe(SENT);
    const cap = await api().patch('/v1/billing').set(holder.apiKey).send({ monthlySpendCap: '5' });
    expect(cap.status, JSON.stringify(cap.body)).toBe(200);

    // A campaign whose one recipient is at 3 at night: it stays running, waiting for quiet hours.
    const contact = await api()
      .post('/v1/contacts')
      .set(holder.apiKey)
      .send({ phone: freshPhone(), name: 'Owl', attributes: { timezone: zoneAtLocalHour(3) } });
    expect(contact.status).toBe(201);
    const list = await api().post('/v1/lists').set(holder.apiKey).send({ name: 'Night' });
    expect(
      (
        await api()
          .post(`/v1/lists/${list.body.id as string}/contacts`)
          .set(holder.apiKey)
          .send({ contactIds: [contact.body.id] })
      ).status,
    ).toBe(200);
    const draft = await api()
      .post('/v1/campaigns')
      .set(holder.apiKey)
      .send({ name: 'Night run', template: 'Good morning {{name}}', from, ratePerSecond: 1, audience: { listIds: [list.body.id] } });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    expect(
      (
        await api()
          .post(`/v1/campaigns/${draft.body.id as string}/launch`)
          .set(holder.apiKey)
      ).status,
    ).toBe(200);
    await expect
      .poll(
        async () =>
          (
            await api()
              .get(`/v1/campaigns/${draft.body.id as string}`)
              .set(holder.apiKey)
          ).body.progress.waitingQuietHours,
        {
          timeout: 20_000,
        },
      )
      .toBe(1);

    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    const usageToday = await api().get('/v1/usage').query({ from: today.toISOString() }).set(holder.apiKey);
    const month = await api().get('/v1/usage').set(holder.apiKey);
    expect(usageToday.body.totals.messages).toBe(SENT);
    expect(month.body.totals).toMatchObject({ messages: SENT, segments: SENT });
    const currency = (month.body.currency as string).toUpperCase();

    const { page } = await stack.openPage();
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await expect.poll(() => figure(page, 'messages-today').textContent()).toBe(String(SENT));
    await expect(figure(page, 'segments-today').textContent()).resolves.toBe(String(usageToday.body.totals.segments));
    await expect.poll(() => figure(page, 'delivery-rate').textContent()).toBe('100.0%');
    await expect(figure(page, 'delivered-of-accepted').textContent()).resolves.toBe(
      `${SENT} delivered of ${SENT} accepted by a carrier today`,
    );
    await expect(figure(page, 'messages-month').textContent()).resolves.toBe(String(SENT));
    // 3 one-segment messages at 0.0079 USD.
    expect(month.body.totals.cost).toMatch(/^0\.0237(0*)$/);
    await expect(figure(page, 'spend-month').textContent()).resolves.toBe(`0.0237 ${currency}`);

    // The chart's figures (its table for screen readers): the month's spend so far, day by day, and the cap.
    const chartRows = page.locator('figure.chart table tr');
    const billing = await api().get('/v1/billing').set(holder.session);
    const reported = billing.body.spendCap as { monthlyCap: string | null } | undefined;
    const expectedRows = [[month.body.data[0].day as string, `0.0237 ${currency}`]];
    if (reported) {
      expect(reported.monthlyCap).toMatch(/^5(\.0*)?$/);
      expectedRows.push(['Limit', `5.00 ${currency}`]);
      await expect(figure(page, 'spend-cap').textContent()).resolves.toBe(`5.00 ${currency}`);
    } else {
      // GET /v1/billing does not report the cap (only PATCH answers it): the page says so, it does not guess.
      await expect(figure(page, 'spend-cap').textContent()).resolves.toBe('Not reported');
    }
    expect(month.body.data).toHaveLength(1);
    await expect
      .poll(() =>
        chartRows.evaluateAll((rows) =>
          rows.map((r) => Array.from((r as unknown as { cells: ArrayLike<{ textContent: string | null }> }).cells, (c) => c.textContent)),
        ),
      )
      .toEqual(expectedRows);

    const run = page.getByRole('article', { name: /Night run/ });
    await expect.poll(() => run.locator('[data-figure="waiting-quiet-hours"]').textContent()).toBe('1');
    await expect(run.locator('[data-figure="targeted"]').textContent()).resolves.toBe('1');
    await expect(run.locator('[data-figure="sent"]').textContent()).resolves.toBe('0');
    await expect(run.locator('.status').textContent()).resolves.toBe('Running');
    await expectAccessible(page, 'dashboard');
    await screenshots(page, 'dashboard');

    expect(
      (
        await api()
          .post(`/v1/campaigns/${draft.body.id as string}/cancel`)
          .set(holder.apiKey)
      ).status,
    ).toBe(200);
  });
});
