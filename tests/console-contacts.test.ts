import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, screenshots, signInWithPassword, startConsoleStack, type ConsoleStack } from './support/console';
import { csvOf, phoneFor } from './support/csv';
import { HOLDER_PASSWORD, signUpHolder } from './support/holders';

let stack: ConsoleStack;

beforeAll(async () => {
  // 100-row chunks: the 10,000-row file is applied in 100 steps the progress bar can show.
  stack = await startConsoleStack({ worker: true, importChunkRows: 100 });
});

afterAll(async () => {
  await stack?.close();
});

const ROWS = 10_000;
/** Every 1,000th row (from row index 7) has no phone number: 10 bad rows among 10,000. */
const isBad = (i: number) => i % 1000 === 7;
const BAD = Array.from({ length: ROWS }, (_, i) => i).filter(isBad);

function bigCsv(): string {
  return csvOf(
    ['phone', 'name'],
    Array.from({ length: ROWS }, (_, i) => [isBad(i) ? 'no number' : phoneFor(i), `Person ${i}`]),
  );
}

/** Records every aria-valuenow the import's progress bar takes, from before the upload to the end. */
async function watchProgress(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__progressSeen = [];
    const record = () => {
      const bar = document.querySelector('[role=progressbar][aria-label="Rows imported"]');
      const now = bar && bar.getAttribute('aria-valuenow');
      if (now !== null && now !== undefined && window.__progressSeen.at(-1) !== Number(now)) window.__progressSeen.push(Number(now));
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  })()`);
}

const count = (page: Page, name: string) => page.locator(`[data-count="${name}"]`).textContent();

describe('console contacts', () => {
  it('uploads 10,000 rows with progress to exact counts, downloads the 10 row errors, searches, makes a list and shows an opt-out', async () => {
    const holder = await signUpHolder(stack.h, 'Contacts Co');
    const { page } = await stack.openPage();
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    await page.getByText('No contacts yet: upload a CSV file above.', { exact: true }).waitFor();

    await page.getByLabel('CSV file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(bigCsv()) });
    await watchProgress(page);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();

    // The import's own page, polled until the workflow has ended.
    await page.getByRole('heading', { level: 1, name: 'Contact import' }).waitFor();
    await page.locator('.import-status', { hasText: /^Completed\.$/ }).waitFor({ timeout: 120_000 });
    const bar = page.getByRole('progressbar', { name: 'Rows imported' });
    expect(await bar.getAttribute('aria-valuenow')).toBe('10000');
    expect(await bar.getAttribute('aria-valuemax')).toBe('10000');
    expect(await bar.getAttribute('aria-valuetext')).toBe('10,000 of 10,000 rows');
    expect(
      Object.fromEntries(
        await Promise.all(
          ['total', 'read', 'applied', 'created', 'updated', 'duplicates', 'opted-out', 'errors'].map(async (n) => [
            n,
            await count(page, n),
          ]),
        ),
      ),
    ).toEqual({
      total: '10,000',
      read: '10,000',
      applied: '9,990',
      created: '9,990',
      updated: '0',
      duplicates: '0',
      'opted-out': '0',
      errors: '10',
    });
    const seen = await page.evaluate<number[]>('window.__progressSeen');
    expect(seen.at(-1)).toBe(ROWS);
    // Never backwards. Whether a value between 0 and 10,000 is seen depends on how fast the import runs
    // against the page's 500 ms poll (on a quiet CI machine it ended between two polls), so it is not asserted.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    // The preview table and the full download name the same 10 rows (row 1 is the header).
    const previewRows = page.getByRole('table').getByRole('row');
    await expect(previewRows.count()).resolves.toBe(1 + BAD.length);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download row errors (CSV)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^import-[0-9a-f-]{36}-errors\.csv$/);
    const errorsCsv = readFileSync(await download.path(), 'utf8');
    expect(errorsCsv).toBe(['row,column,reason', ...BAD.map((i) => `${i + 2},phone,not a phone number`)].join('\n') + '\n');
    await expectAccessible(page, 'contacts-import');
    await screenshots(page, 'contacts-import');

    // The contact list: a first page of 50, the import listed, and a search that finds exactly one contact.
    await page.getByRole('link', { name: 'Back to contacts' }).click();
    const contactsTable = page.getByRole('region', { name: 'All contacts' }).getByRole('table');
    await contactsTable.waitFor();
    await expect(contactsTable.getByRole('row').count()).resolves.toBe(51);
    await page.getByText('50 shown', { exact: true }).waitFor();
    const imports = page.getByRole('region', { name: 'Recent imports' }).getByRole('row');
    await imports.nth(1).waitFor();
    await expect(imports.count()).resolves.toBe(2);
    expect(await imports.nth(1).getByRole('cell').allTextContents()).toEqual(['Completed', '10,000', '9,990', '10']);
    await expectAccessible(page, 'contacts');
    await screenshots(page, 'contacts');

    const wanted = phoneFor(1234);
    await page.getByLabel('Search by phone or name').fill(wanted);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const found = page.getByRole('status').filter({ hasText: 'match' });
    await found.waitFor({ timeout: 30_000 });
    await expect(found.textContent()).resolves.toBe(`1 contact matches “${wanted}” (looked up by number).`);
    await expect(contactsTable.getByRole('row').count()).resolves.toBe(2);
    expect(await contactsTable.getByRole('row').nth(1).locator('th, td').allTextContents()).toEqual([
      '',
      wanted,
      'Person 1234',
      'No',
      expect.any(String),
    ]);
    // A name is stored sealed: the console reads every page to match it, and says how many it read.
    await page.getByLabel('Search by phone or name').fill('Person 1234');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'match' }).textContent(), { timeout: 30_000 })
      .toBe('1 contact matches “Person 1234” (searched 9,990).');
    expect((await contactsTable.getByRole('row').nth(1).locator('th, td').allTextContents()).slice(1, 3)).toEqual([wanted, 'Person 1234']);

    // A list, created on its page, then the found contact added to it from the contacts page.
    await page.getByRole('navigation', { name: 'Contacts sections' }).getByRole('link', { name: 'Lists' }).click();
    await page.getByLabel('List name').fill('VIP');
    await page.getByRole('button', { name: 'Create list' }).click();
    const vip = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'VIP', exact: true }) });
    await vip.getByRole('cell', { name: '0', exact: true }).waitFor();

    await page.getByRole('navigation', { name: 'Contacts sections' }).getByRole('link', { name: 'Contacts' }).click();
    await page.getByLabel('Search by phone or name').fill(wanted);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByLabel(`Select ${wanted}`).check();
    await page.getByRole('button', { name: 'Add 1 selected to list' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Added' }).textContent()).resolves.toBe('Added 1.');

    await page.getByRole('navigation', { name: 'Contacts sections' }).getByRole('link', { name: 'Lists' }).click();
    await vip.getByRole('cell', { name: '1', exact: true }).waitFor();
    await expectAccessible(page, 'contacts-lists');
    await screenshots(page, 'contacts-lists');

    // An opt-out added on its page is listed, and the contact shows as opted out.
    await page.getByRole('navigation', { name: 'Contacts sections' }).getByRole('link', { name: 'Opt-outs' }).click();
    await page.getByText('No opt-outs.', { exact: true }).waitFor();
    await page.getByLabel('Phone number').fill(wanted);
    await page.getByLabel('Reason (optional)').fill('asked on the phone');
    await page.getByRole('button', { name: 'Opt out', exact: true }).click();
    const optOut = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: wanted }) });
    await optOut.waitFor();
    expect(await optOut.locator('th, td').allTextContents()).toEqual([
      wanted,
      'Added by you',
      'asked on the phone',
      expect.any(String),
      'Remove',
    ]);
    await expect(page.getByRole('region', { name: 'Opted-out numbers' }).getByRole('row').count()).resolves.toBe(2);
    await expectAccessible(page, 'contacts-opt-outs');
    await screenshots(page, 'contacts-opt-outs');

    await page.getByRole('navigation', { name: 'Contacts sections' }).getByRole('link', { name: 'Contacts' }).click();
    await page.getByLabel('Search by phone or name').fill(wanted);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await found.waitFor({ timeout: 30_000 });
    await expect(contactsTable.getByRole('row').count()).resolves.toBe(2);
    expect(await contactsTable.getByRole('row').nth(1).locator('th, td').allTextContents()).toEqual([
      '',
      wanted,
      'Person 1234',
      'Opted out',
      expect.any(String),
    ]);
  }, 240_000);

  it('shows the API’s reason beside the file field when the upload is refused', async () => {
    const holder = await signUpHolder(stack.h, 'Empty Co');
    const { page } = await stack.openPage(360);
    await signInWithPassword(page, holder.email, HOLDER_PASSWORD);
    await page.goto('/app/contacts');
    await page.getByLabel('CSV file').setInputFiles({ name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.from('name\nAnn\n') });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const file = page.getByLabel('CSV file');
    await page.locator('.field-error').waitFor();
    await expect(file.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await file.getAttribute('aria-describedby'))!.split(' ');
    const reason = await page.locator(`[id="${describedBy.at(-1)!}"]`).textContent();
    expect(reason).toMatch(/^no phone column found; name it with the phone_column parameter \(header: .*name.*\)$/);
    await expect(page.locator('.problem').textContent()).resolves.toMatch(/^Request is invalid: columns\.phone: no phone column found/);
    expect(page.url()).toBe(`${stack.baseUrl}/app/contacts`);
  });
});
