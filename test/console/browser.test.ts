import { Queue } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSinch, startFakeSinch } from '../fakes/sinch.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix } from '../fax/harness.js';
import { tempDir } from '../fax/sinch-setup.js';
import { startTestApp, type TestApp, testConfig } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { textsTo } from '../helpers/phone.js';
import { launchChromium } from './browser.js';
import { consoleStaff } from './session.js';

/** Every wait in this file is for something on the page, bounded by this. */
const WAIT = { timeout: 20_000 };

let database: TestDatabase;
let sinch: FakeSinch;
let twilioFake: FakeTwilio;
let testApp: TestApp;
let workers: TestWorkers;
let browser: Browser;
let page: Page;
let base: string;

async function text(from: string, body: string) {
  const reply = await textsTo(testApp, base)(from, body);
  expect(reply.status).toBe(200);
}

const field = (name: string) => page.locator(`[data-field="${name}"]`).first();
/** Waits until a live field (refreshed by the page's polling) shows `value`. */
const showing = (name: string, value: string) =>
  page
    .locator(`[data-field="${name}"]`, { hasText: new RegExp(`^${value}$`) })
    .first()
    .waitFor(WAIT);

beforeAll(async () => {
  database = await createTestDatabase();
  // Slow enough that the batch page shows the fax on its way before it is delivered.
  sinch = await startFakeSinch({ dir: tempDir('console-sinch'), settleMs: 2_000 });
  const { accountSid, authToken } = testConfig(database.url).twilio;
  twilioFake = await startFakeTwilio(accountSid, authToken);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {
    ...sinch.env(),
    FAX_OUTBOX_DIR: tempDir('console-outbox'),
    FAX_BUSINESS_HOURS: 'off',
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    TWILIO_API_BASE_URL: twilioFake.url,
    PUBLIC_BASE_URL: base,
  };
  testApp = await startTestApp(database, { env, databaseUrl: database.url });
  await testApp.app.listen({ port, host: '127.0.0.1' });
  workers = await startTestWorkers(database, { env, queuePrefix: uniqueQueuePrefix() });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(WAIT.timeout);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await workers?.close();
  await testApp?.close();
  await sinch?.close();
  await twilioFake?.close();
  await database?.drop();
});

describe('the staff console in a browser', () => {
  it('runs a campaign from sign-in to fax and update', async () => {
    const { email, password } = await consoleStaff(database, 'campaigner');
    await page.goto(`${base}/console/login`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await Promise.all([
      page.waitForURL(/\/console$/, WAIT),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    await expect(page.getByRole('heading', { name: 'Dashboard' }).isVisible()).resolves.toBe(true);
    await page.getByRole('link', { name: 'Campaigns', exact: true }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor(WAIT);

    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Keyword').fill('BROWSER');
    await page.locator('#title').fill('Free the browser');
    await page.locator('#body').fill('Please release him.');
    await page.locator('#target-0-name').fill('Igor Krasnov');
    await page.locator('#target-0-salutation').fill('Dear Prosecutor General');
    await page.locator('#target-0-faxNumbers').fill('+74951234567');
    await Promise.all([
      page.waitForURL(/\/console\/campaigns\/\d+$/, WAIT),
      page.getByRole('button', { name: 'Save' }).click(),
    ]);
    const campaignUrl = page.url();
    await page.getByRole('button', { name: 'Open the campaign' }).click();
    await page.getByText('open', { exact: true }).first().waitFor(WAIT);

    // The count moves by itself as texts come in.
    expect(await field('signatureCount').textContent()).toBe('0');
    await text('+447700900111', 'BROWSER Jane Smith');
    await showing('signatureCount', '1');
    expect(await page.locator('.chart svg rect').count()).toBeGreaterThan(0);

    // Hold the name, then release it from the review queue.
    await page.goto(campaignUrl);
    await page.getByRole('button', { name: 'Hold Jane Smith' }).click();
    // Released from the review queue (the list's row has its own Release too).
    const release = page.locator('[data-html="held"]').getByRole('button', { name: 'Release Jane Smith' });
    await release.waitFor(WAIT);
    expect(await field('heldCount').textContent()).toBe('1');
    await release.click();
    await page.getByText('No names are waiting for review.').waitFor(WAIT);
    expect(await field('heldCount').textContent()).toBe('0');

    // The fax: preview, confirm, send, and watch it go out.
    await page.getByRole('link', { name: 'Fax' }).click();
    await page.getByText('1 name is waiting', { exact: false }).waitFor(WAIT);
    const previewHref = await page.getByRole('link', { name: /Preview PDF/ }).getAttribute('href');
    const preview = await page.request.get(`${base}${previewHref}`);
    expect(preview.headers()['content-type']).toBe('application/pdf');
    expect((await preview.body()).subarray(0, 5).toString()).toBe('%PDF-');
    await page.getByRole('link', { name: 'Send the batch…' }).click();
    await expect(page.locator('#fax-summary').textContent()).resolves.toMatch(/1 name .* goes to 1 target/);
    await Promise.all([
      page.waitForURL(/\/console\/fax-batches\/\d+$/, WAIT),
      page.getByRole('button', { name: 'Send 1 name now' }).click(),
    ]);
    const firstStatus = await field('status').textContent();
    expect(['pending', 'sending']).toContain(firstStatus);
    await showing('status', 'delivered');
    await page.locator('[data-delivery-status]', { hasText: 'delivered' }).waitFor(WAIT);
    expect(sinch.submissions.map((submission) => submission.fax.to)).toEqual(['+74951234567']);

    // An update to the signers, with its segments counted as it is typed.
    await page.goto(`${campaignUrl}/updates`);
    const before = await field('characters').textContent();
    await page.getByLabel('Text').fill('Thank you: the fax has gone.');
    await page.locator('[data-field="characters"]', { hasNotText: new RegExp(`^${before}$`) }).waitFor(WAIT);
    expect(await field('segments').textContent()).toBe('1');
    await page.getByLabel(/Signers of this campaign/).check();
    await page.getByRole('button', { name: 'Preview and confirm…' }).click();
    await Promise.all([
      page.waitForURL(/\/console\/broadcasts\/\d+$/, WAIT),
      page.getByRole('button', { name: 'Send to 1 person' }).click(),
    ]);
    await showing('status', 'done');
    await showing('sent', '1');
    expect(
      twilioFake.messages.some((message) => message.body.startsWith('Thank you: the fax has gone.')),
    ).toBe(true);

    // On a phone the pages fit the screen's width; wide tables scroll inside their own box.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const url of [
      campaignUrl,
      `${campaignUrl}/fax`,
      `${campaignUrl}/updates`,
      `${base}/console/campaigns`,
    ]) {
      await page.goto(url);
      expect(await page.evaluate('document.documentElement.scrollWidth'), url).toBeLessThanOrEqual(390);
    }
  }, 120_000);

  it('lets an admin pause a queue from Bull Board, whose call carries the page’s CSRF token', async () => {
    const { email, password } = await consoleStaff(database, 'admin');
    const context = await browser.newContext();
    const admin = await context.newPage();
    admin.setDefaultTimeout(WAIT.timeout);
    await admin.goto(`${base}/console/login`);
    await admin.getByLabel('E-mail').fill(email);
    await admin.getByLabel('Password').fill(password);
    await Promise.all([
      admin.waitForURL(/\/console$/, WAIT),
      admin.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    await admin.goto(`${base}/console/queues/queue/sms-send`);
    // The queue's actions menu, then Pause and its confirmation.
    await admin.locator('button[class*=trigger]').last().click();
    await admin.getByText('Pause', { exact: true }).click();
    const [call] = await Promise.all([
      admin.waitForRequest((request) => request.method() === 'PUT', WAIT),
      admin.getByRole('button', { name: 'Confirm' }).click(),
    ]);
    expect(call.url()).toMatch(/\/console\/queues\/api\/queues\/sms-send\/pause$/);
    expect(call.headers()['x-xsrf-token']).toEqual(expect.any(String));
    expect((await call.response())?.status()).toBe(200);
    const queue = new Queue('sms-send', { connection: testApp.redis, prefix: testApp.queuePrefix });
    expect(await queue.isPaused()).toBe(true);
    await queue.obliterate({ force: true });
    await queue.close();
    await context.close();
  }, 60_000);
});
