import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix } from '../fax/harness.js';
import { startTestApp, type TestApp, testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { launchChromium } from './browser.js';
import { createSupportersForTest } from './members.js';
import { consoleStaff } from './session.js';

/** Every wait in this file is for something on the page, bounded by this. */
const WAIT = { timeout: 20_000 };
const HINT = 'Text STOP AMNESTY to opt out';

let database: TestDatabase;
let twilioFake: FakeTwilio;
let testApp: TestApp;
let workers: TestWorkers;
let browser: Browser;
let base: string;
let campaignId: number;

async function broadcastCount(): Promise<number> {
  const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM broadcasts');
  return rows[0].n;
}

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

beforeAll(async () => {
  database = await createTestDatabase();
  const { accountSid, authToken } = testConfig(database.url).twilio;
  twilioFake = await startFakeTwilio(accountSid, authToken);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    TWILIO_API_BASE_URL: twilioFake.url,
    PUBLIC_BASE_URL: base,
    SMS_QUIET_HOURS: 'off',
    // Above 4 people the audience size is typed; the whole network here is 5.
    BROADCAST_CONFIRM_ABOVE: '4',
  };
  testApp = await startTestApp(database, { env, databaseUrl: database.url });
  await testApp.app.listen({ port, host: '127.0.0.1' });
  workers = await startTestWorkers(database, { env, queuePrefix: uniqueQueuePrefix() });
  campaignId = (
    await openCampaign(database, {
      keyword: 'COURT',
      title: 'Free the lawyer',
      letter: { body: 'Release him.' },
      targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+74951234567'] }],
      closesAt: new Date(Date.now() + 3 * 24 * 3_600_000 + 60_000),
    })
  ).id;
  const members = await createSupportersForTest(database, testApp.config, 5);
  await database.pool.query(
    "INSERT INTO signatures (campaign_id, supporter_id, name, status) SELECT $1, unnest($2::bigint[]), 'A B', 'valid'",
    [campaignId, members.slice(0, 2)],
  );
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await workers?.close();
  await testApp?.close();
  await twilioFake?.close();
  await database?.drop();
});

describe.each([
  { name: 'a laptop', width: 1280, height: 800, word: 'Monday' },
  { name: 'a phone', width: 390, height: 844, word: 'Tuesday' },
])('texting the network on $name ($width×$height)', ({ width, height, word }) => {
  it('sends only after the confirm step, which shows the cost and the text as it will arrive', async () => {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    try {
      await signIn(page);
      // The dashboard: the open action with its numbers.
      const card = page.locator('article.card', { hasText: 'Free the lawyer' });
      await card.waitFor(WAIT);
      expect(await card.locator(`[data-field="signatures-${campaignId}"]`).textContent()).toBe('2');
      expect(await card.locator(`[data-field="deadline-${campaignId}"]`).textContent()).toBe('3 d');
      await fitsWidth(page, width);

      await card.getByRole('link', { name: 'Text an update' }).click();
      const typed = `We’re in court on ${word} – come if you can…`;
      await page.getByLabel('Text').fill(typed);
      // The counter follows the smart encoding box as it is typed.
      await page.locator('[data-field="replaced"]', { hasText: 'Smart encoding replaced' }).waitFor(WAIT);
      expect(await page.locator('[data-field="encoding"]').first().textContent()).toBe('GSM-7');
      await page.getByLabel(/The whole network/).check();
      await page.getByRole('button', { name: 'Preview and confirm…' }).click();

      // The confirm step: nothing has gone yet.
      await page.getByRole('heading', { name: 'Confirm the update' }).waitFor(WAIT);
      expect(await broadcastCount()).toBe(width === 1280 ? 0 : 1);
      const arriving = `We're in court on ${word} - come if you can...\n${HINT}`;
      expect(await page.locator('[data-confirm="text"]').textContent()).toBe(arriving);
      expect(await page.locator('[data-confirm="audience"]').textContent()).toBe('5 people');
      expect(await page.locator('[data-confirm="segments"]').textContent()).toBe('1 segment');
      expect(await page.locator('[data-confirm="encoding"]').textContent()).toBe('GSM-7');
      expect(await page.locator('[data-confirm="cost"]').textContent()).toBe('£0.20');
      await fitsWidth(page, width);

      // A wrong count is refused with the reason beside the field; the right one sends.
      await page.getByLabel(/Type the number of people/).fill('3');
      await page.getByRole('button', { name: 'Send to 5 people' }).click();
      await page.getByText('You confirmed 3 people, but the audience is now 5').waitFor(WAIT);
      expect(twilioFake.messages.filter((m) => m.body === arriving)).toHaveLength(0);
      await page.getByLabel(/Type the number of people/).fill('5');
      await Promise.all([
        page.waitForURL(/\/console\/broadcasts\/\d+$/, WAIT),
        page.getByRole('button', { name: 'Send to 5 people' }).click(),
      ]);
      await page.locator('[data-field="status"]', { hasText: /^done$/ }).waitFor(WAIT);
      await page.locator('[data-field="handled"]', { hasText: /^5$/ }).waitFor(WAIT);
      expect(await page.locator('#sent-text').textContent()).toBe(arriving);
      expect(twilioFake.messages.filter((m) => m.body === arriving)).toHaveLength(5);
      await page.getByRole('button', { name: 'Cancel the rest' }).waitFor({ state: 'detached', ...WAIT });
      await fitsWidth(page, width);
    } finally {
      await context.close();
    }
  }, 90_000);
});

describe('the compose counter', () => {
  it('counts {receipt} filled in, as the preview does', async () => {
    // A batch of the campaign that its one target has received: the delivery notice's audience.
    const { rows: target } = await database.pool.query('SELECT id FROM targets WHERE campaign_id = $1', [
      campaignId,
    ]);
    const { rows: batch } = await database.pool.query(
      `INSERT INTO fax_batches (campaign_id, status, reason, signature_count, completed_at)
       VALUES ($1, 'delivered', 'manual', 2, now()) RETURNING id`,
      [campaignId],
    );
    const batchId = batch[0].id;
    await database.pool.query(
      `INSERT INTO fax_deliveries (batch_id, target_id, part, parts, first_name, name_count, pages, status,
                                   fax_number, completed_at, callback_token)
       VALUES ($1, $2, 1, 1, 0, 2, 1, 'delivered', '+74951234567', now(), 'counter-test')`,
      [batchId, target[0].id],
    );
    await database.pool.query('UPDATE signatures SET batch_id = $1 WHERE campaign_id = $2', [
      batchId,
      campaignId,
    ]);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    try {
      await signIn(page);
      await page.goto(`${base}/console/campaigns/${campaignId}/updates`);
      await page.getByLabel(/Signers whose names fax batch/).check();
      // 1 segment as typed; 2 once {receipt} is the sentence the preview puts in.
      await page.getByLabel('Text').fill(`Your name reached {receipt}. ${'x'.repeat(100)}`);
      await page.locator('[data-field="segments"]', { hasText: /^2$/ }).waitFor(WAIT);
      await page.getByRole('button', { name: 'Preview and confirm…' }).click();
      await page.getByRole('heading', { name: 'Confirm the update' }).waitFor(WAIT);
      expect(await page.locator('[data-confirm="segments"]').textContent()).toBe('2 segments');
    } finally {
      await context.close();
    }
  }, 60_000);
});
