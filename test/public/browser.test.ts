import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoCampaigns } from '../../src/campaigns/demo.js';
import { launchChromium } from '../console/browser.js';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { tempDir } from '../fax/sinch-setup.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { textsTo } from '../helpers/phone.js';

/** The public page of an action on a phone (390×844), in Debian's Chromium. */
const WAIT = { timeout: 20_000 };
const SIGNERS = ['Jane Smith', 'Анна Петрова', 'Tomás García', 'Amara Okafor'];

let database: TestDatabase;
let testApp: TestApp;
let workers: TestWorkers;
let browser: Browser;
let base: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {
    FAX_OUTBOX_DIR: tempDir('public-outbox'),
    PUBLIC_BASE_URL: base,
    ORG_TIMEZONE: 'Europe/London',
  };
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

describe('the public page of an action', () => {
  it('shows a phone how to sign, the count, the deadline and each authority’s delivery, without names', async () => {
    await loadDemoCampaigns({
      db: database.db,
      clock: () => new Date(),
      campaigns: testApp.app.services.campaigns,
    });
    for (const [i, name] of SIGNERS.entries()) {
      await textsTo(testApp, base)(`+4477009002${String(i).padStart(2, '0')}`, `MAGAMED ${name}`);
    }
    const api = apiAs(testApp.app, (await staffToken(database, 'campaigner')).token);
    const { rows } = await database.pool.query("SELECT id FROM campaigns WHERE keyword = 'MAGAMED'");
    const created = await api({ method: 'POST', url: `/api/v1/campaigns/${rows[0].id}/fax-batches` });
    expect(created.statusCode).toBe(202);
    await waitFor(async () => {
      const batch = (await api({ method: 'GET', url: `/api/v1/fax-batches/${created.json().id}` })).json();
      return batch.status === 'written';
    }, 'the dry-run batch to be written');

    const page = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    page.setDefaultTimeout(WAIT.timeout);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        problems.push(message.text());
      }
    });
    // Everything the page names must load, its icon included.
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
    const script = page.waitForResponse((r) => r.url().endsWith('/act/live.js'));
    const response = await page.goto(`${base}/act/magamed`);
    expect(response?.status()).toBe(200);
    // The live count's script loads under the page's content security policy.
    expect((await script).status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toMatch(
      /Magamed Abubakarov/,
    );
    await page.getByRole('heading', { name: 'How to sign' }).waitFor(WAIT);
    const signLink = page.getByRole('link', { name: 'Text MAGAMED to 70505' });
    expect(await signLink.getAttribute('href')).toBe('sms:70505?&body=MAGAMED%20');
    expect(await page.locator('#count').textContent()).toBe(String(SIGNERS.length));
    await page.getByText('Deadline').waitFor(WAIT);
    // Both authorities, each with its dry-run delivery: channel, date and time, pages.
    const deliveries = page.locator('ul.deliveries ul.deliveries li');
    expect(await deliveries.count()).toBe(2);
    for (const text of await deliveries.allTextContents()) {
      expect(text).toMatch(
        /^Fax dry run \(written to an outbox, not sent\), \d{1,2} \w{3} \d{4}, \d\d:\d\d, \d+ pages?$/,
      );
    }
    // Fits the phone's width; the sign button is big enough to tap.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const button = await signLink.boundingBox();
    expect(button?.height).toBeGreaterThanOrEqual(40);
    const body = (await page.textContent('body')) ?? '';
    for (const name of SIGNERS) expect(body).not.toContain(name);
    expect(body).not.toMatch(/\+44 ?7700/);
    // The Open Graph card.
    expect(await page.getAttribute('meta[property="og:title"]', 'content')).toMatch(/Magamed Abubakarov/);
    expect(await page.getAttribute('meta[property="og:url"]', 'content')).toBe(`${base}/act/MAGAMED`);
    // The JSON and the badge are offered to staff in the console, not to the public here.
    expect(await page.locator('footer a').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.screenshot({
      path: process.env.PUBLIC_SCREENSHOT ?? join(tmpdir(), 'pp-public-action.png'),
      fullPage: true,
    });
    await page.close();
  }, 90_000);

  it('answers a mistyped keyword in a browser with a page saying there is no such action', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    page.setDefaultTimeout(WAIT.timeout);
    const response = await page.goto(`${base}/act/KALYAPN`);
    expect(response?.status()).toBe(404);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('No such action');
    await page.getByText('There is no public action called KALYAPN.').waitFor(WAIT);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.close();
  }, 30_000);
});
