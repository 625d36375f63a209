import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, screenshots, signInWithPassword, startConsoleStack, type ConsoleStack } from './support/console';
import { HOLDER_PASSWORD, signUpHolder } from './support/holders';

let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack();
});

afterAll(async () => {
  await stack?.close();
});

describe('console sign-in', () => {
  it('is served from the API with a strict CSP, hashed assets cached for a year and the page itself never cached', async () => {
    const page = await request(stack.h.app).get('/app/campaigns/anything');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const script = /src="(\/app\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = await request(stack.h.app).get(script!);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await request(stack.h.app).get('/app/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('signs in by password with the session cookie only, lists the session, and signs out', async () => {
    const holder = await signUpHolder(stack.h, 'Console Co');
    const { context, page } = await stack.openPage();
    await page.goto('/app/');
    await expectAccessible(page, 'sign-in');
    await screenshots(page, 'sign-in');
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await expect(page.locator('.account-name').textContent()).resolves.toBe('Console Co');

    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['__Host-mss_session', true, 'Lax']]);
    const stored = await page.evaluate<{ local: string; session: string }>(
      '({ local: JSON.stringify(localStorage), session: JSON.stringify(sessionStorage) })',
    );
    expect(stored.local).not.toMatch(/msk_|mss_/);
    expect(stored.session).toBe('{}');

    await page.getByRole('link', { name: 'Settings' }).click();
    const sessionRow = page.getByRole('row').filter({ hasText: '(this one)' });
    await expect(sessionRow.getByRole('cell').nth(1).textContent()).resolves.toMatch(/^198\.51\.100\.0\/24$/);
    await expectAccessible(page, 'settings');
    await screenshots(page, 'settings');

    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await page.getByRole('heading', { name: 'Sign in to MassiveSMS' }).waitFor();
    expect(await context.cookies()).toEqual([]);
  });

  it('shows the API’s reason next to the form when the password is wrong', async () => {
    const holder = await signUpHolder(stack.h);
    const { page } = await stack.openPage(360);
    await page.goto('/app/');
    await page.getByLabel('Email').fill(holder.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/^Authentication required: /);
  });

  it('signs up and in with Google through the local OpenID provider, and back in as the same holder', async () => {
    const email = `google-${randomBytes(4).toString('hex')}@example.com`;
    const { context, page } = await stack.openPage();
    await page.goto('/app/');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('link', { name: 'Sign in with Google' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/');
    const [{ rows }] = [await stack.h.deps.pgPool.query<{ n: number }>('select count(*)::int as n from users where email = $1', [email])];
    expect(rows[0]!.n).toBe(1);

    await context.clearCookies();
    await page.goto('/app/');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('link', { name: 'Sign in with Google' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    const again = await stack.h.deps.pgPool.query<{ n: number }>('select count(*)::int as n from users where email = $1', [email]);
    expect(again.rows[0]!.n).toBe(1);
  });
});
