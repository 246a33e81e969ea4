import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix } from '../fax/harness.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { launchChromium } from './browser.js';
import { consoleStaff } from './session.js';

/** Every wait in this file is for something on the page, bounded by this. */
const WAIT = { timeout: 20_000 };

let database: TestDatabase;
let testApp: TestApp;
let workers: TestWorkers;
let browser: Browser;
let base: string;

async function signIn(page: Page) {
  const { email, password } = await consoleStaff(database, 'campaigner');
  await page.goto(`${base}/console/login`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([
    page.waitForURL(/\/console$/, WAIT),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

const fitsWidth = async (page: Page, width: number) =>
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);

/** A transaction of the test's own holding `table` in SHARE mode: writers to it wait until it ends. */
async function holdTable(table: string): Promise<pg.PoolClient> {
  const client = await database.pool.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN SHARE MODE`);
  return client;
}

async function release(client: pg.PoolClient) {
  await client.query('COMMIT');
  client.release();
}

const barValue = (page: Page) =>
  page.locator('#import-bar').evaluate((bar) => (bar as unknown as { value: number }).value);

beforeAll(async () => {
  database = await createTestDatabase();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = { PUBLIC_BASE_URL: base };
  testApp = await startTestApp(database, { env, databaseUrl: database.url });
  await testApp.app.listen({ port, host: '127.0.0.1' });
  workers = await startTestWorkers(database, { env, queuePrefix: uniqueQueuePrefix() });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await workers?.close();
  await testApp?.close();
  await database?.drop();
});

describe.each([
  { name: 'a laptop', width: 1280, height: 800, first: 0 },
  { name: 'a phone', width: 390, height: 844, first: 5_000 },
])('importing members on $name ($width×$height)', ({ width, height, first }) => {
  it('sends the file, then follows the import on a progress bar without a reload, to its refused lines', async () => {
    const rows = 3_000;
    const file = [
      'number,name,consent_date,consent_source',
      ...Array.from({ length: rows }, (_, i) =>
        i === 41
          ? '12345,Bad Number,2024-03-01,web'
          : `01632 9${String(first + i).padStart(5, '0')},Browser Member,2024-03-01,web`,
      ),
    ].join('\n');
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    // The worker's first chunk waits behind one lock, its merge behind another: the page is seen at
    // each stage.
    let checking: pg.PoolClient | null = await holdTable('member_import_checked');
    let merging: pg.PoolClient | null = await holdTable('supporters');
    try {
      await signIn(page);
      await page.goto(`${base}/console/members`);
      await page.getByLabel('Choose the CSV file').setInputFiles({
        name: 'network.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(file),
      });
      // The page's script streams the file as text/csv, not as the form's multipart body.
      const [sent] = await Promise.all([
        page.waitForRequest((request) => request.url().endsWith('/console/members/imports'), WAIT),
        page.waitForURL(/\/console\/members\/imports\/\d+$/, WAIT),
        page.getByRole('button', { name: 'Import' }).click(),
      ]);
      expect(sent.headers()['content-type']).toBe('text/csv');
      await page.evaluate('window.notReloaded = true');
      expect(await page.locator('[data-field="rows"]').textContent()).toBe('3,000');
      expect(await page.locator('#import-bar').getAttribute('max')).toBe(String(rows));
      expect(await barValue(page)).toBe(0);
      await fitsWidth(page, width);

      await release(checking);
      checking = null;
      // Every row checked; the merge waits: the bar is full, with the rate it went at.
      await page.locator('[data-field="checked"]', { hasText: /^3,000$/ }).waitFor(WAIT);
      await page.locator('[data-field="state"]', { hasText: 'Adding the members' }).waitFor(WAIT);
      expect(await barValue(page)).toBe(rows);
      expect(await page.locator('[data-field="rate"]').textContent()).toMatch(/^[\d,]+ rows a second$/);
      await fitsWidth(page, width);

      await release(merging);
      merging = null;
      await page.getByText('Imported: 2,999 new, 0 already known').waitFor(WAIT);
      expect(await page.locator('ul.refused li').allTextContents()).toEqual([
        'Line 43: The number is not a phone number we can read.',
      ]);
      expect(await page.locator('[data-field="state"]').textContent()).toBe('Done');
      expect(await page.evaluate('window.notReloaded')).toBe(true);
      expect(await page.content()).not.toContain('01632');
      await fitsWidth(page, width);
    } finally {
      if (checking) await release(checking);
      if (merging) await release(merging);
      await context.close();
    }
  }, 60_000);
});
