import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestAccount } from './support/accounts';
import { zoneAtLocalHour } from './support/audience';
import { expectAccessible, screenshots, signInWithPassword, startConsoleStack, type ConsoleStack } from './support/console';
import { HOLDER_PASSWORD, markOwnerVerified, signUpHolder, type TestHolder } from './support/holders';
import { freshPhone } from './support/messaging';
import { obtainSenderNumber } from './support/sender-numbers';

/**
 * The campaigns section against the real stack (API, campaign and messaging workers, Temporal,
 * Postgres, the simulator's carriers): a holder builds a campaign in the browser, sees the live
 * preview and the API's estimate, launches, pauses, resumes and watches it complete.
 */
let stack: ConsoleStack;
let holder: TestHolder;
let account: TestAccount;
let from = '';

const api = () => request(stack.h.app);
const OPEN_ZONE = zoneAtLocalHour(14);
const TEMPLATE = 'Hi {{name | "friend"}}, our spring sale starts today: 20% off everything in store. Show this text at the till.';

async function addContact(phone: string, name: string | null): Promise<string> {
  const res = await api()
    .post('/v1/contacts')
    .set(account.auth)
    .send({ phone, ...(name ? { name } : {}), attributes: { timezone: OPEN_ZONE } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

const figure = (page: Page, name: string) => page.locator(`[data-figure="${name}"]`).first();
const statusCell = (page: Page, name: string) => page.locator(`[data-status="${name}"]`);

beforeAll(async () => {
  stack = await startConsoleStack({ worker: true, messaging: true });
  holder = await signUpHolder(stack.h, 'Campaign Console Co');
  await markOwnerVerified(holder.accountId);
  const { rows } = await stack.h.deps.pgPool.query<{ id: string }>('select id from api_keys where account_id = $1', [holder.accountId]);
  expect(rows).toHaveLength(1);
  account = {
    accountId: holder.accountId,
    apiKeyId: rows[0]!.id,
    apiKey: holder.apiKey.Authorization.slice('Bearer '.length),
    auth: holder.apiKey,
  };
  from = await obtainSenderNumber(stack.h, account, { sim: stack.sim });
});

afterAll(async () => {
  await stack?.close();
});

describe('console campaigns', () => {
  it('builds a campaign with a live preview, shows the API’s estimate, launches, pauses, resumes and completes with the API’s figures', async () => {
    // 20 contacts: 17 with a GSM-7 name, one UCS-2 name (ë is not in GSM-7), one without a name, one opted out.
    const ids: string[] = [];
    for (let i = 0; i < 17; i++) ids.push(await addContact(freshPhone(), `Guest ${i}`));
    const zoePhone = freshPhone();
    const zoe = await addContact(zoePhone, 'Zoë');
    ids.push(zoe);
    ids.push(await addContact(freshPhone(), null));
    const optedOut = freshPhone();
    ids.push(await addContact(optedOut, 'Gone'));
    expect((await api().post('/v1/opt-outs').set(account.auth).send({ phone: optedOut })).status).toBe(201);
    const list = await api().post('/v1/lists').set(account.auth).send({ name: 'Spring customers' });
    expect(list.status).toBe(201);
    const listId = list.body.id as string;
    expect((await api().post(`/v1/lists/${listId}/contacts`).set(account.auth).send({ contactIds: ids })).status).toBe(200);

    const { page } = await stack.openPage();
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('heading', { level: 1, name: 'Campaigns' }).waitFor();
    await expect(page.getByText('No campaigns yet.', { exact: false }).textContent()).resolves.toContain('No campaigns yet.');

    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('heading', { level: 1, name: 'New campaign' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Spring sale');
    await page.getByLabel('Spring customers').check();
    // A placeholder the API would refuse is named as the holder types.
    await page.getByLabel('Message', { exact: true }).fill('Hi {{first_name}}');
    await expect(page.getByRole('list', { name: 'Template problems' }).textContent()).resolves.toBe(
      '{{first_name}} unknown variable "first_name" (known: name, attributes.<key>)',
    );
    await page.getByLabel('Message', { exact: true }).fill(TEMPLATE);
    expect(await page.getByRole('list', { name: 'Template problems' }).count()).toBe(0);
    await page.getByLabel('Preview for contact').selectOption({ label: `Zoë · ${zoePhone}` });
    const zoeBody = TEMPLATE.replace('{{name | "friend"}}', 'Zoë');
    await expect.poll(() => page.getByTestId('preview-body').textContent()).toBe(zoeBody);
    // A ë makes it UCS-2, and past 70 characters that is 2 segments of 67.
    await expect(page.getByTestId('preview-meta').textContent()).resolves.toBe(`${[...zoeBody].length} characters · UCS-2 · 2 segments`);
    await page.getByLabel('Preview for contact').selectOption({ label: `Guest 3 · ` + (await phoneOf(ids[3]!)) });
    await expect
      .poll(() => page.getByTestId('preview-meta').textContent())
      .toBe(`${[...TEMPLATE.replace('{{name | "friend"}}', 'Guest 3')].length} characters · GSM-7 · 1 segment`);
    expect(await page.getByLabel('Sender number').inputValue()).toBe(from);
    await page.getByLabel('Rate (messages per second)').fill('2');
    await expectAccessible(page, 'campaign-builder');
    await screenshots(page, 'campaign-builder');

    await page.getByRole('button', { name: 'Save draft and see the estimate' }).click();
    await page.getByRole('heading', { level: 2, name: 'Estimate before launch' }).waitFor();
    const campaignId = new URL(page.url()).pathname.split('/').at(-1)!;
    const preview = await api().get(`/v1/campaigns/${campaignId}/preview`).query({ contactId: zoe }).set(account.auth);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    const estimate = preview.body.estimate;
    // The live preview computed in the browser says what the API renders for the same contact.
    expect([preview.body.body, preview.body.characters, preview.body.encoding, preview.body.segments]).toEqual([
      zoeBody,
      [...zoeBody].length,
      'UCS-2',
      2,
    ]);
    // 19 messages (the opted-out one skipped): 18 GSM-7 of 1 segment, Zoë's 2 UCS-2 segments.
    expect(estimate).toMatchObject({
      recipients: 20,
      messages: 19,
      segments: 20,
      segmentsByEncoding: { 'GSM-7': 18, 'UCS-2': 2 },
      excluded: { opted_out: 1, restricted: 0, timezone_unknown: 0 },
    });
    const est = (name: string) => page.locator(`[data-estimate="${name}"]`).textContent();
    await expect(est('recipients')).resolves.toBe('20');
    await expect(est('messages')).resolves.toBe('19');
    await expect(est('segments')).resolves.toBe('20');
    await expect(est('cost')).resolves.toBe(`${estimate.cost as string} ${(estimate.currency as string).toUpperCase()}`);
    await expect(est('breakdown')).resolves.toContain(
      `18 GSM-7 and 2 UCS-2 segments at ${estimate.pricePerSegment as string} ${(estimate.currency as string).toUpperCase()} per segment.`,
    );
    await expectAccessible(page, 'campaign-draft');
    await screenshots(page, 'campaign-draft');

    await page.getByRole('button', { name: 'Launch' }).click();
    await expect.poll(() => page.getByTestId('campaign-status').textContent()).toBe('Running');
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByTestId('campaign-status').textContent()).toBe('Paused');
    const paused = await api().get(`/v1/campaigns/${campaignId}`).set(account.auth);
    expect(paused.body.status).toBe('paused');
    expect(paused.body.progress.remaining).toBeGreaterThan(0);
    await expectAccessible(page, 'campaign-paused');
    await screenshots(page, 'campaign-paused');

    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.getByTestId('campaign-status').textContent()).toMatch(/^(Running|Completed)$/);
    await expect.poll(() => page.getByTestId('campaign-status').textContent(), { timeout: 60_000 }).toBe('Completed');

    // Receipts arrive after the carriers accepted: wait until the API has every message at a final status.
    const unsettled = async () => {
      const m = (await api().get(`/v1/campaigns/${campaignId}`).set(account.auth)).body.progress.messages;
      return m.queued + m.waiting + m.sending + m.sent;
    };
    await expect.poll(unsettled, { timeout: 60_000 }).toBe(0);
    const settled = await api().get(`/v1/campaigns/${campaignId}`).set(account.auth);
    const final = settled.body;
    const m = final.progress.messages;
    expect(final.status).toBe('completed');
    expect(final.progress).toMatchObject({ live: true, targeted: 20, skipped: { opted_out: 1 }, remaining: 0 });
    expect(m.sent + m.delivered + m.undelivered + m.failed).toBe(19);

    // The page's figures are the API's once the last receipt landed (it keeps polling until then).
    await expect.poll(() => figure(page, 'delivered').textContent(), { timeout: 15_000 }).toBe(String(m.delivered));
    await expect(figure(page, 'targeted').textContent()).resolves.toBe('20');
    await expect(figure(page, 'sent').textContent()).resolves.toBe(String(m.sent + m.delivered + m.undelivered));
    await expect(figure(page, 'failed').textContent()).resolves.toBe(String(m.failed + m.undelivered));
    await expect(figure(page, 'skipped').textContent()).resolves.toBe('1');
    await expect(figure(page, 'waiting-quiet-hours').textContent()).resolves.toBe(String(final.progress.waitingQuietHours));
    await expect(figure(page, 'rate').textContent()).resolves.toBe('2/s');
    await expect(page.locator('[data-skipped="opted_out"]').textContent()).resolves.toBe('1');
    for (const status of ['queued', 'waiting', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed']) {
      await expect(statusCell(page, status).textContent(), status).resolves.toBe(String(m[status]));
    }
    await expect(page.getByRole('progressbar', { name: 'Progress of Spring sale' }).getAttribute('aria-valuenow')).resolves.toBe('20');
    await expectAccessible(page, 'campaign-detail');
    await screenshots(page, 'campaign-detail');

    await page.getByRole('link', { name: '← All campaigns' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Spring sale' });
    await expect(row.getByRole('cell').first().textContent()).resolves.toBe('Completed');
    await expectAccessible(page, 'campaigns');
    await screenshots(page, 'campaigns');
  });

  it('shows the API’s reason beside the field it names, and cancelling needs a confirmation', async () => {
    const list = await api().post('/v1/lists').set(account.auth).send({ name: 'Night owls' });
    // Where it is 3 at night: the campaign waits for quiet hours and stays running until cancelled.
    const res = await api()
      .post('/v1/contacts')
      .set(account.auth)
      .send({ phone: freshPhone(), name: 'Owl', attributes: { timezone: zoneAtLocalHour(3) } });
    expect(res.status).toBe(201);
    expect(
      (
        await api()
          .post(`/v1/lists/${list.body.id as string}/contacts`)
          .set(account.auth)
          .send({ contactIds: [res.body.id] })
      ).status,
    ).toBe(200);
    const { page } = await stack.openPage(360);
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.goto('/app/campaigns/new');
    await page.getByLabel('Name', { exact: true }).fill('Night run');
    await page.getByLabel('Message', { exact: true }).fill('Hello {{name}}');
    await page.getByLabel('Night owls').first().check();
    const rate = page.getByLabel('Rate (messages per second)');
    await rate.fill('101');
    await page.getByRole('button', { name: 'Save draft and see the estimate' }).click();
    await expect.poll(() => rate.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await rate.getAttribute('aria-describedby'))!;
    await expect(page.locator(`[id="${errorId}"]`).textContent()).resolves.toBe('at most 100 messages per second per sender number');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('New campaign');

    await rate.fill('1');
    await page.getByRole('button', { name: 'Save draft and see the estimate' }).click();
    await page.getByRole('heading', { level: 2, name: 'Estimate before launch' }).waitFor();
    const id = new URL(page.url()).pathname.split('/').at(-1)!;
    await page.getByRole('button', { name: 'Launch' }).click();
    await expect.poll(() => page.getByTestId('campaign-status').textContent()).toBe('Running');
    await expect.poll(() => figure(page, 'waiting-quiet-hours').textContent(), { timeout: 20_000 }).toBe('1');

    await page.getByRole('button', { name: 'Cancel campaign' }).click();
    await page.getByRole('button', { name: 'No, keep it' }).click();
    expect(await page.getByRole('button', { name: 'Yes, cancel it' }).count()).toBe(0);
    expect((await api().get(`/v1/campaigns/${id}`).set(account.auth)).body.status).toBe('running');
    await page.getByRole('button', { name: 'Cancel campaign' }).click();
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await expect.poll(() => page.getByTestId('campaign-status').textContent()).toBe('Cancelled');
    expect((await api().get(`/v1/campaigns/${id}`).set(account.auth)).body.status).toBe('cancelled');
  });
});

async function phoneOf(contactId: string): Promise<string> {
  const res = await api().get(`/v1/contacts/${contactId}`).set(account.auth);
  return res.body.phone as string;
}
