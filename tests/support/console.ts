import { readFileSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import type { LocalOidcIssuer } from '../../simulator/oidc-issuer';
import { freePort } from './free-port';
import { startLocalIssuer } from './google-sign-in';
import { startHarness, type Harness, type HarnessOptions } from './harness';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process';
import { simulatorCatalogue } from './usage';

/** Where the browser tests write their page screenshots (git-ignored). */
export const SCREENSHOT_DIR = join(__dirname, '..', '..', 'screenshots');

export const CHROMIUM = '/usr/bin/chromium';

/** The console against the real stack: API (serving the built console) on a port, workers, Temporal, Postgres, simulator, OIDC issuer. */
export interface ConsoleStack {
  h: Harness;
  sim: SimulatorProcess;
  issuer: LocalOidcIssuer;
  baseUrl: string;
  browser: Browser;
  /** A fresh browser profile (no cookies) on a page of the given width. */
  openPage(width?: number): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export async function startConsoleStack(
  options: Omit<HarnessOptions, 'env'> & { env?: Record<string, string> } = {},
): Promise<ConsoleStack> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const sim = await startSimulatorProcess({
    seed: 1818,
    stripeWebhookUrl: `${baseUrl}/webhooks/stripe`,
    telnyxInboundUrl: `${baseUrl}/webhooks/telnyx`,
    twilioInboundUrl: `${baseUrl}/webhooks/twilio`,
  });
  const catalogue = await simulatorCatalogue(sim);
  const { issuer, env: googleEnv } = await startLocalIssuer();
  const h = await startHarness({
    billing: true,
    ...options,
    env: {
      ...sim.env(),
      ...googleEnv,
      STRIPE_METER_ID: catalogue.meterId,
      STRIPE_PRICE_SEGMENTS: catalogue.segmentPriceId,
      STRIPE_PRICE_PLATFORM: catalogue.platformPriceId,
      PUBLIC_BASE_URL: baseUrl,
      GOOGLE_REDIRECT_URL: `${baseUrl}/app/auth/google/callback`,
      CONSOLE_DIR: inject('consoleDir'),
      // A browser page fires several requests at once; a CI machine busy with other files must not turn
      // a short wait for one of the 4 connections into a 503 (pool exhaustion has its own tests).
      DATABASE_ACQUIRE_TIMEOUT_MS: '20000',
      ...options.env,
    },
  });
  const server: Server = h.app.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'] });
  const contexts: BrowserContext[] = [];
  let browsers = 0;
  return {
    h,
    sim,
    issuer,
    baseUrl,
    browser,
    async openPage(width = 1280) {
      // Each browser its own client address (through the trusted loopback proxy, as the harness's other
      // clients): the address budgets of sign-in are shared by the whole run's database, and other files
      // spend loopback's on purpose.
      const context = await browser.newContext({
        viewport: { width, height: 900 },
        baseURL: baseUrl,
        extraHTTPHeaders: { 'X-Forwarded-For': `198.51.100.${(browsers++ % 250) + 1}` },
      });
      contexts.push(context);
      const page = await context.newPage();
      return { context, page };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await h.close();
      await issuer.stop();
      await sim.stop();
    },
  };
}

/** Signs in through the console's form (POST /v1/sessions sets the cookie) and waits for the dashboard. */
export async function signInWithPassword(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/app/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}

/** The page at 1280 px and at 360 px wide, full length, into screenshots/<name>-<width>.png. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 900 };
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's scan of the page as it stands: no serious or critical violation (WCAG 2.1 A and AA rules). */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<{ id: string; impact: string; targets: string[] }[]>(`
    axe
      .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
      .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))
  `);
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    `${name}: ${JSON.stringify(violations)}`,
  ).toEqual([]);
}
