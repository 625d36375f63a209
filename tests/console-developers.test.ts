import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishCustomerEvent } from '../services/webhooks/customer-events';
import { expectAccessible, screenshots, signInWithPassword, startConsoleStack, type ConsoleStack } from './support/console';
import { HOLDER_PASSWORD, signUpHolder, type TestHolder } from './support/holders';
import { waitFor, WebhookReceiver } from './support/webhook-receiver';
import { startWebhookDelivery } from './support/webhook-worker';

let stack: ConsoleStack;
let receiver: WebhookReceiver;
let delivery: { stop(): Promise<void> };

beforeAll(async () => {
  stack = await startConsoleStack({ env: { WEBHOOKS_ALLOW_LOOPBACK: 'true' } });
  receiver = await new WebhookReceiver().start();
  delivery = await startWebhookDelivery(stack.h);
});

afterAll(async () => {
  await delivery?.stop();
  await receiver?.stop();
  await stack?.close();
});

async function onDevelopersPage(name: string): Promise<{ holder: TestHolder; page: Page }> {
  const holder = await signUpHolder(stack.h, name);
  const { page } = await stack.openPage();
  await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
  await page.getByRole('link', { name: 'Developers' }).click();
  await page.getByRole('heading', { name: 'Developers', level: 1 }).waitFor();
  return { holder, page };
}

const storage = (page: Page) => page.evaluate<string>('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })');

describe('console developers', () => {
  it('creates an API key whose secret is shown once, works, is kept nowhere in the browser, and stops working when revoked', async () => {
    const { page } = await onDevelopersPage('Keys Co');
    await page.getByLabel('Key name').fill('CI deploy');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('textbox', { name: 'New API key “CI deploy”' });
    const key = await shown.inputValue();
    expect(key).toMatch(/^msk_[0-9a-f]{12}_/);
    await page.getByText('Copy it now: you will not see it again.').waitFor();
    await expectAccessible(page, 'developers');
    await screenshots(page, 'developers');

    const auth = { Authorization: `Bearer ${key}` };
    expect((await request(stack.h.app).get('/v1/account').set(auth)).status).toBe(200);
    const row = page.getByRole('row').filter({ hasText: 'CI deploy' });
    await expect.poll(() => row.getByRole('cell').nth(4).textContent()).toBe('Active');
    await expect(row.getByRole('cell').nth(1).textContent()).resolves.toBe('read, write');
    expect(await storage(page)).not.toContain(key);
    expect(await storage(page)).not.toContain(key.slice(-12));

    // Gone once the page is left: after a reload nothing on the page holds it.
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(key.slice(-12));
    await expect(page.getByText('Copy it now: you will not see it again.').count()).resolves.toBe(0);
    expect(await storage(page)).not.toContain(key.slice(-12));

    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke now' }).click();
    await expect.poll(() => row.getByRole('cell').nth(4).textContent()).toMatch(/^Revoked /);
    expect((await request(stack.h.app).get('/v1/account').set(auth)).status).toBe(401);
  });

  it('registers a webhook endpoint, shows its signing secret once, and lists its deliveries after an event', async () => {
    const { holder, page } = await onDevelopersPage('Hooks Co');
    const url = page.getByLabel('Endpoint URL');
    // The API's own reason for a bad URL, beside the field.
    const refused = await request(stack.h.app)
      .post('/v1/webhook-endpoints')
      .set(holder.apiKey)
      .send({ url: 'not a url', eventTypes: ['message.status'] });
    expect(refused.status).toBe(422);
    await url.fill('not a url');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(page.locator('.field-error').textContent()).resolves.toBe(
      (refused.body.errors as { field: string; reason: string }[]).find((e) => e.field === 'body.url')!.reason,
    );
    await expect(url.getAttribute('aria-invalid')).resolves.toBe('true');

    const hookUrl = receiver.url('/hooks/console');
    await url.fill(hookUrl);
    await page.getByLabel('billing.threshold_reached', { exact: false }).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await page.getByRole('textbox', { name: `Signing secret for ${hookUrl}` }).inputValue();
    expect(secret).toMatch(/^whsec_/);
    expect(await storage(page)).not.toContain(secret.slice(-12));
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByRole('textbox', { name: `Signing secret for ${hookUrl}` }).count()).resolves.toBe(0);
    const row = page.getByRole('row').filter({ hasText: hookUrl });
    await expect(row.getByRole('cell').first().textContent()).resolves.toBe('message.status, billing.threshold_reached');

    await row.getByRole('link', { name: `Deliveries to ${hookUrl}` }).click();
    await page.getByRole('heading', { name: 'Webhook deliveries', level: 1 }).waitFor();
    await page.getByText('No deliveries yet.', { exact: false }).waitFor();
    await expectAccessible(page, 'webhook-deliveries-empty');

    // An event for the account, published as the product publishes it; the webhook worker delivers it.
    const eventId = await stack.h.deps.orm.em
      .fork()
      .transactional((em) =>
        publishCustomerEvent(em, holder.accountId, 'message.status', { messageId: 'm-console', status: 'delivered' }, stack.h.deps),
      );
    const [received] = await waitFor(() => {
      const got = receiver.on('/hooks/console');
      return got.length > 0 ? got : undefined;
    }, 'the delivery');
    // Signed with the secret the page showed.
    const headers = Object.fromEntries(Object.entries(received!.headers).map(([k, v]) => [k, String(v)]));
    expect(() => new Webhook(secret).verify(received!.body, headers)).not.toThrow();

    await page.getByRole('button', { name: 'Refresh' }).click();
    const delivered = page.getByRole('row').filter({ hasText: eventId! });
    await expect.poll(() => delivered.getByRole('cell').nth(1).textContent()).toBe('Delivered');
    await expect(delivered.getByRole('cell').nth(0).textContent()).resolves.toBe('message.status');
    await expect(delivered.locator('summary').textContent()).resolves.toBe('1 attempt, last HTTP 200');
    await expect(page.getByRole('row').count()).resolves.toBe(2);
    await expectAccessible(page, 'webhook-deliveries');
    await screenshots(page, 'webhook-deliveries');

    // Rotate: a new secret, once; then delete.
    await page.getByRole('link', { name: '← Developers' }).click();
    await row.getByRole('button', { name: 'Rotate secret' }).click();
    await row.getByRole('button', { name: 'Rotate now' }).click();
    const rotated = await page.getByRole('textbox', { name: `New signing secret for ${hookUrl}` }).inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Delete now' }).click();
    await page.getByText('No webhook endpoints yet.').waitFor();
    expect((await request(stack.h.app).get('/v1/webhook-endpoints').set(holder.apiKey)).body.data).toEqual([]);
  });
});
