import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, screenshots, signInWithPassword, startConsoleStack, type ConsoleStack } from './support/console';
import { HOLDER_PASSWORD, signUpHolder, type TestHolder } from './support/holders';
import { createStaffUser, staffBearer, staffSignIn } from './support/staff';

const DAY = 86_400_000;
let stack: ConsoleStack;
let privacy: { Authorization: string };

const sql = async <T>(query: string, params: unknown[]) => (await stack.h.deps.pgPool.query(query, params)).rows as T[];

/** The banner of `processId` on every page until dismissed, and not again after a reload. */
async function seeBannerUntilDismissed(holder: TestHolder, processId: string, version: string): Promise<void> {
  // The notice process writes the banner once it has started.
  await expect
    .poll(
      async () =>
        ((await request(stack.h.app).get('/v1/notices').set(holder.apiKey)).body.data as { processId: string; title: string }[])
          .filter((n) => n.processId === processId)
          .map((n) => n.title),
      { timeout: 30_000, interval: 200 },
    )
    .toHaveLength(1);
  const title = (
    (await request(stack.h.app).get('/v1/notices').set(holder.apiKey)).body.data as { processId: string; title: string }[]
  ).find((n) => n.processId === processId)!.title;

  const { page } = await stack.openPage();
  await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
  const notices = page.getByRole('region', { name: 'Notices' });
  const banner = notices.getByRole('note', { name: title, exact: true });
  await expect.poll(() => banner.count()).toBe(1);
  await expect(banner.textContent()).resolves.toContain(`Version ${version} takes effect on `);
  await expectAccessible(page, 'dashboard-with-banners');
  await screenshots(page, 'dashboard-with-banners');

  await page.getByRole('link', { name: 'Contacts' }).click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  await expect.poll(() => banner.count()).toBe(1);

  await page.getByRole('button', { name: `Dismiss notice: ${title}` }).click();
  await expect.poll(() => banner.count()).toBe(0);
  await page.getByRole('link', { name: 'Privacy' }).click();
  await page.getByRole('heading', { level: 1, name: 'Privacy' }).waitFor();
  expect(await banner.count()).toBe(0);
  const noticesFetched = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/notices' && r.status() === 200);
  await page.reload();
  await noticesFetched;
  await page.getByRole('heading', { level: 1, name: 'Privacy' }).waitFor();
  // The notices were fetched again and rendered (two frames later); the dismissed one stays hidden.
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  expect(await banner.count()).toBe(0);
}

beforeAll(async () => {
  stack = await startConsoleStack({ notices: true });
  privacy = staffBearer(await staffSignIn(stack.h.app, await createStaffUser(stack.h, 'privacy')));
});

afterAll(async () => {
  await stack?.close();
});

describe('console privacy', () => {
  it('shows a policy change in its notice period on every page until dismissed, and not again after a reload', async () => {
    const holder = await signUpHolder(stack.h, 'Banner Co');
    // The DPA, far ahead: the run's other files read the Privacy Policy's versions and the DPA's next one.
    const version = `console-${randomBytes(4).toString('hex')}`;
    const published = await request(stack.h.app)
      .post('/staff/v1/policies')
      .set(privacy)
      .send({
        kind: 'dpa',
        version,
        text: 'We now keep delivery receipts for 13 months.',
        material: true,
        effectiveAt: new Date(Date.now() + 500 * DAY).toISOString(),
      });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    const processId = `policy:dpa:${version}`;
    try {
      await seeBannerUntilDismissed(holder, processId, version);
    } finally {
      // Withdrawn again: the run's other files publish DPA versions, which must come after any upcoming one.
      await stack.h.temporal.workflow
        .getHandle(processId)
        .terminate('test cleanup')
        .catch(() => undefined);
      for (const table of ['customer_notices', 'notice_deliveries']) await sql(`delete from ${table} where process_id = $1`, [processId]);
      await sql(`delete from policy_versions where kind = 'dpa' and version = $1`, [version]);
    }
  });

  it('lists the subprocessors and submits an objection to an announced one through the page', async () => {
    const vendor = `console-${randomBytes(3).toString('hex')}`;
    const name = `Objectionable ${vendor}`;
    const announced = await request(stack.h.app)
      .post('/staff/v1/subprocessors')
      .set(privacy)
      .send({
        vendor,
        name,
        purpose: 'Support ticket search',
        locations: ['Canada'],
        recipientData: false,
        effectiveAt: new Date(Date.now() + 31 * DAY).toISOString(),
      });
    expect(announced.status, JSON.stringify(announced.body)).toBe(201);
    const holder = await signUpHolder(stack.h, 'Objector Co');

    const { page } = await stack.openPage();
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.getByRole('link', { name: 'Privacy' }).click();
    const telnyx = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Telnyx', exact: true }) });
    await expect(telnyx.getByRole('cell').nth(3).textContent()).resolves.toMatch(/^In use since /);
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
    await row.getByRole('button', { name: `Object to ${name}` }).click();

    // The API's reason for an empty reason is shown beside the field.
    await row.getByRole('button', { name: 'Send objection' }).click();
    const field = row.getByLabel(`Why do you object to ${name}?`);
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    await field.fill('Our customers are all in the EU; we prefer no transfers to Canada.');
    await expectAccessible(page, 'privacy');
    await screenshots(page, 'privacy');
    await row.getByRole('button', { name: 'Send objection' }).click();
    await row.getByText(/^Objected .*: open, under review$/).waitFor();

    const stored = await sql<{ reason: string; status: string }>(
      'select reason, status from subprocessor_objections where account_id = $1 and subprocessor_id = $2',
      [holder.accountId, announced.body.id],
    );
    expect(stored).toEqual([{ reason: 'Our customers are all in the EU; we prefer no transfers to Canada.', status: 'open' }]);
  });

  it('records a data subject request through the page and lists it with its due date', async () => {
    const holder = await signUpHolder(stack.h, 'DSR Co');
    const { page } = await stack.openPage(360);
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.goto('/app/privacy');
    await page.getByLabel('What the person asks for').selectOption('erasure');
    await page.getByLabel('Their phone number').fill('+14155550123');
    await page.getByRole('button', { name: 'Record request' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Recorded\. It is due / })
      .waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'erasure', exact: true }) });
    await expect.poll(() => row.count()).toBe(1);
    await expect(row.getByRole('cell').first().textContent()).resolves.toBe('+14155550123');

    const stored = await sql<{ type: string; origin: string; due_days: number }>(
      `select type, origin, round(extract(epoch from due_at - received_at) / 86400)::int as due_days
         from data_subject_requests where account_id = $1`,
      [holder.accountId],
    );
    expect(stored).toEqual([{ type: 'erasure', origin: 'customer', due_days: 30 }]);
  });

  it('terminates only after the 30-day grace is explained and the account name is typed, then shows the deletion date', async () => {
    const holder = await signUpHolder(stack.h, 'Leaving Co');
    const { page } = await stack.openPage();
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.goto('/app/privacy');
    const section = page.getByRole('region', { name: 'Terminate the account' });
    await expect(section.textContent()).resolves.toContain('Then a 30-day grace period');
    await expect(section.textContent()).resolves.toContain('a signed deletion certificate is emailed to the owner');

    await section.getByRole('button', { name: 'Terminate account…' }).click();
    const confirm = section.getByRole('button', { name: 'Terminate this account' });
    expect(await confirm.isDisabled()).toBe(true);
    await section.getByLabel('Type the account name, Leaving Co, to confirm').fill('Leaving C');
    expect(await confirm.isDisabled()).toBe(true);
    // Enter in the field submits nothing while the name is wrong.
    await section.getByLabel('Type the account name, Leaving Co, to confirm').press('Enter');
    expect(await sql('select 1 from account_terminations where account_id = $1', [holder.accountId])).toEqual([]);
    await expectAccessible(page, 'privacy-termination');
    await screenshots(page, 'privacy-termination');

    await section.getByLabel('Type the account name, Leaving Co, to confirm').fill('Leaving Co');
    await confirm.click();
    const done = page.getByRole('region', { name: 'Account terminated' });
    await done.getByText(/^Leaving Co is terminated\. Its data will be deleted by /).waitFor();
    const stored = await sql<{ status: string; disposition: string; delete_early: boolean; grace_days: number }>(
      `select status, disposition, delete_early, round(extract(epoch from delete_by - terminated_at) / 86400)::int as grace_days
         from account_terminations where account_id = $1`,
      [holder.accountId],
    );
    expect(stored).toEqual([{ status: 'pending', disposition: 'return_then_delete', delete_early: false, grace_days: 30 }]);
  });
});
