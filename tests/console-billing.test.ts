import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, screenshots, signInWithPassword, startConsoleStack, type ConsoleStack } from './support/console';
import { HOLDER_PASSWORD, signUpHolder } from './support/holders';
import { customerOf } from './support/usage';

let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack();
});

afterAll(async () => {
  await stack?.close();
});

/** A holder signed in on the Billing page, once sign-up's Stripe customer exists. */
async function onBillingPage(name: string) {
  const holder = await signUpHolder(stack.h, name);
  await customerOf(stack.h.deps.pgPool, holder.accountId);
  const { page } = await stack.openPage();
  await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
  await page.getByRole('link', { name: 'Billing' }).click();
  await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
  return { holder, page };
}

describe('console billing', () => {
  it('adds a card through the simulator’s Checkout page and shows the brand, last 4 and expiry entered there', async () => {
    const { holder, page } = await onBillingPage('Billing Co');
    await page.getByText('No card yet.', { exact: false }).waitFor();
    await expect(page.getByRole('heading', { name: 'Invoices' }).isVisible()).resolves.toBe(true);
    await page.getByText('No invoices yet.').waitFor();
    await expectAccessible(page, 'billing');
    await screenshots(page, 'billing');

    await page.getByRole('button', { name: 'Add card' }).click();
    await page.waitForURL(new RegExp(`^${stack.sim.url}/_sim/stripe/checkout/cs_test_`));
    await expectAccessible(page, 'checkout-simulator');
    await screenshots(page, 'checkout-simulator');
    // A wrong expiry is refused on Stripe's page, next to its field, and nothing is saved.
    await page.getByLabel('Card number').fill('5555 5555 5555 4444');
    await page.getByLabel('Expiry (MM / YY)').fill('13 / 31');
    await page.getByLabel('Country').fill('DE');
    await page.getByRole('button', { name: 'Save card' }).click();
    await expect(page.locator('#expiry-error').textContent()).resolves.toBe("Your card's expiration date is incomplete.");
    await page.getByLabel('Expiry (MM / YY)').fill('03 / 31');
    await page.getByRole('button', { name: 'Save card' }).click();

    await page.waitForURL((url) => url.pathname === '/app/billing' && url.searchParams.get('checkout') === 'done');
    await expect(page.getByRole('status').filter({ hasText: 'Card saved' }).textContent()).resolves.toBe(
      'Card saved: Mastercard ending in 4444, expires 03/2031.',
    );
    const card = page.getByRole('region', { name: 'Card' });
    await expect(card.locator('dd').allTextContents()).resolves.toEqual(['Mastercard', '•••• ending in 4444', '03/2031']);
    await expect(card.getByRole('button', { name: 'Change card' }).isVisible()).resolves.toBe(true);
    const billing = await request(stack.h.app).get('/v1/billing').set(holder.apiKey);
    expect(billing.body.paymentMethod).toEqual({ brand: 'mastercard', last4: '4444', expMonth: 3, expYear: 2031, country: 'DE' });
    await expect(page.getByRole('row').filter({ hasText: 'Card: Mastercard' }).count()).resolves.toBe(1);
    await expectAccessible(page, 'billing-checkout-return');
    await screenshots(page, 'billing-checkout-return');

    // Cancelling on Stripe's page changes nothing.
    await card.getByRole('button', { name: 'Change card' }).click();
    await page.waitForURL(new RegExp(`^${stack.sim.url}/_sim/stripe/checkout/`));
    await page.getByRole('link', { name: 'Cancel and go back' }).click();
    await page.getByText('Checkout was cancelled; your card was not changed.').waitFor();
    await expect(card.locator('dd').allTextContents()).resolves.toEqual(['Mastercard', '•••• ending in 4444', '03/2031']);
  });

  it('waits for Stripe’s late webhook after Checkout and shows the card when it arrives, without a reload', async () => {
    const { holder, page } = await onBillingPage('Late Webhook Co');
    const webhookUrl = `${stack.baseUrl}/webhooks/stripe`;
    // Stripe's first attempt fails (the product is unreachable); Stripe retries it later.
    await stack.sim.control.config({ stripeWebhookUrl: `${stack.baseUrl}/webhooks/nowhere` });
    try {
      await page.getByRole('button', { name: 'Add card' }).click();
      await page.waitForURL(new RegExp(`^${stack.sim.url}/_sim/stripe/checkout/`));
      await page.getByLabel('Card number').fill('3782 822463 10005');
      await page.getByLabel('Expiry (MM / YY)').fill('09 / 2032');
      await page.getByLabel('Country').fill('fr');
      await page.getByRole('button', { name: 'Save card' }).click();
      await page.waitForURL((url) => url.pathname === '/app/billing');
    } finally {
      await stack.sim.control.config({ stripeWebhookUrl: webhookUrl });
    }
    await page.getByText('Waiting for Stripe to confirm your card…').waitFor();
    expect((await request(stack.h.app).get('/v1/billing').set(holder.apiKey)).body.paymentMethod).toBeNull();

    // The retry: the same signed event, verbatim, to the product's webhook.
    const missed = (await stack.sim.control.callbacks({ kind: 'stripe' })).filter(
      (c) => c.url.endsWith('/webhooks/nowhere') && c.event === 'checkout.session.completed',
    );
    expect(missed).toHaveLength(1);
    const headers = Object.fromEntries(Object.entries(missed[0]!.headers).filter(([k]) => k !== 'content-length'));
    const delivered = await request(stack.h.app).post('/webhooks/stripe').set(headers).send(missed[0]!.body);
    expect(delivered.status).toBe(200);

    await expect(page.getByRole('status').filter({ hasText: 'Card saved' }).textContent()).resolves.toBe(
      'Card saved: American Express ending in 0005, expires 09/2032.',
    );
  });

  it('sets a spend cap, shows the API’s reason next to the field for a bad one, and removes it', async () => {
    const { holder, page } = await onBillingPage('Cap Co');
    const cap = page.getByLabel('Monthly spend cap', { exact: false });
    await cap.fill('12,50');
    await page.getByRole('button', { name: 'Save cap' }).click();
    const reason = page.locator('.field-error');
    await expect(reason.textContent()).resolves.toBe('must be a positive decimal amount such as "250" or "99.50"');
    await expect(cap.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(cap.getAttribute('aria-describedby')).resolves.toContain(await reason.getAttribute('id'));

    await cap.fill('250');
    await page.getByRole('button', { name: 'Save cap' }).click();
    await expect.poll(() => page.getByTestId('spend-cap-state').textContent()).toBe('Monthly cap: $250.00. Spent this month: $0.00 (0 %).');
    await page.reload();
    await expect.poll(() => page.getByTestId('spend-cap-state').textContent()).toBe('Monthly cap: $250.00. Spent this month: $0.00 (0 %).');
    await expect.poll(() => reason.count()).toBe(0);
    const { rows } = await stack.h.deps.pgPool.query<{ cap: string | null }>(
      'select monthly_cap_micros::text as cap from billing_account_settings where account_id = $1',
      [holder.accountId],
    );
    expect(rows[0]!.cap).toBe('250000000');

    await page.getByRole('button', { name: 'Remove cap' }).click();
    await expect.poll(() => page.getByTestId('spend-cap-state').textContent()).toBe('No monthly cap. Spent this month: $0.00.');
    await expect.poll(() => cap.inputValue()).toBe('');
  });
});
