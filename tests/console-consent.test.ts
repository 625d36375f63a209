import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectAccessible, screenshots, signInWithPassword, startConsoleStack, type ConsoleStack } from './support/console';
import { HOLDER_PASSWORD, setCountry, signUpHolder, type TestHolder } from './support/holders';

let stack: ConsoleStack;

/** The events PostHog (the simulator) received for this holder, once every capture started has been sent or dropped. */
async function eventsOf(holder: TestHolder): Promise<string[]> {
  await stack.h.deps.analytics.idle();
  const res = await fetch(`${stack.sim.url}/_sim/posthog/events`);
  expect(res.status).toBe(200);
  const { data } = (await res.json()) as { data: { event: string; distinctId: string | null }[] };
  const id = await stack.h.deps.analytics.distinctIdOf(holder.userId);
  return data.filter((e) => e.distinctId === id).map((e) => e.event);
}

async function signOutAndIn(page: Page, holder: TestHolder): Promise<void> {
  await page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in to MassiveSMS' }).waitFor();
  await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
}

/** What makes a button prominent: its size, colours and weight. */
const looks = (page: Page, name: string) =>
  page
    .getByRole('region', { name: 'Product analytics' })
    .getByRole('button', { name, exact: true })
    .evaluate((button) => {
      // Runs in the page (the test's own types have no DOM).
      const page = globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> };
      const s = page.getComputedStyle(button);
      const r = (button as unknown as { getBoundingClientRect(): { width: number; height: number } }).getBoundingClientRect();
      return {
        width: Math.round(r.width),
        height: Math.round(r.height),
        background: s.backgroundColor,
        color: s.color,
        border: s.borderColor,
        fontSize: s.fontSize,
        fontWeight: s.fontWeight,
      };
    });

beforeAll(async () => {
  stack = await startConsoleStack();
});

afterAll(async () => {
  await stack?.close();
});

describe('console analytics consent', () => {
  it('an EU holder: Accept and Reject alike, nothing collected before a choice, counted after Accept, stopped by withdrawing in Settings', async () => {
    const holder = await signUpHolder(stack.h, 'Berlin GmbH');
    await setCountry(stack.h, holder.userId, 'DE');
    expect(await eventsOf(holder)).toEqual([]);

    const { page } = await stack.openPage();
    // Signing in captures holder_signed_in for a holder who allows analytics.
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    const banner = page.getByRole('region', { name: 'Product analytics' });
    await banner.waitFor();
    await expect(banner.textContent()).resolves.toContain('Nothing is collected unless you accept.');
    const accept = await looks(page, 'Accept');
    expect(accept.width).toBeGreaterThan(0);
    expect(await looks(page, 'Reject')).toEqual(accept);
    await expectAccessible(page, 'consent-banner');
    await screenshots(page, 'consent-banner');
    expect(await eventsOf(holder)).toEqual([]);
    // Still nothing after another sign-in while undecided.
    await signOutAndIn(page, holder);
    await banner.waitFor();
    expect(await eventsOf(holder)).toEqual([]);

    await banner.getByRole('button', { name: 'Accept', exact: true }).click();
    await expect.poll(() => banner.count()).toBe(0);
    await signOutAndIn(page, holder);
    expect(await eventsOf(holder)).toEqual(['holder_signed_in']);
    expect(await banner.count()).toBe(0);

    await page.getByRole('link', { name: 'Settings' }).click();
    const analytics = page.getByRole('checkbox', { name: 'Pseudonymous product analytics (PostHog)' });
    expect(await analytics.isChecked()).toBe(true);
    await analytics.uncheck();
    await expect.poll(() => analytics.isChecked()).toBe(false);
    await expect
      .poll(
        async () =>
          (
            await stack.h.deps.pgPool.query(
              `select granted from holder_consents where user_id = $1 and purpose = 'product_analytics' order by seq desc limit 1`,
              [holder.userId],
            )
          ).rows,
      )
      .toEqual([{ granted: false }]);
    await signOutAndIn(page, holder);
    expect(await eventsOf(holder)).toEqual(['holder_signed_in']);
    // A choice was made: the banner does not come back.
    await page.getByRole('link', { name: 'Settings' }).click();
    await analytics.waitFor();
    expect(await banner.count()).toBe(0);
  });

  it('a US holder (analytics on by notice) sees no banner', async () => {
    const holder = await signUpHolder(stack.h, 'Austin Inc');
    await setCountry(stack.h, holder.userId, 'US');
    const { page } = await stack.openPage(360);
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.getByRole('link', { name: 'Settings' }).click();
    // The consents have loaded (Settings shows them from the same query the banner reads).
    const analytics = page.getByRole('checkbox', { name: 'Pseudonymous product analytics (PostHog)' });
    await analytics.waitFor();
    expect(await analytics.isChecked()).toBe(true);
    expect(await page.getByRole('region', { name: 'Product analytics' }).count()).toBe(0);
    // Its sign-in was counted (the sign-up's was before the country was known: opt-in, dropped).
    expect(await eventsOf(holder)).toEqual(['holder_signed_in']);
  });
});
