/**
 * Screenshots of the staff console for the README: the app and its workers on a throwaway database
 * with the demo loaded and a few signatures, driven by Debian's Chromium (/usr/bin/chromium).
 * Run with `npm run screenshots`; writes each page at 1280×800 (`console-*.png`) and at 390×844, a
 * phone (`console-*-phone.png`), to docs/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { loadDemoCampaigns } from '../src/campaigns/demo.js';
import { createSignaturesService } from '../src/campaigns/signatures.js';
import { sendSimulatedText } from '../src/sms/simulator.js';
import { launchChromium } from '../test/console/browser.js';
import { consoleStaff } from '../test/console/session.js';
import { startTestWorkers, uniqueQueuePrefix } from '../test/fax/harness.js';
import { tempDir } from '../test/fax/sinch-setup.js';
import { startTestApp } from '../test/helpers/app.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { freePort } from '../test/helpers/free-port.js';

const OUT = 'docs/screenshots';
const WAIT = { timeout: 20_000 };
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const UPDATE =
  'Thank you! Your names went to the Prosecutor General by fax today – we’ll tell you when he answers.';
const SIGNERS = ['Jane Smith', 'Анна Петрова', 'Tomás García', 'Li Wei', 'Amara Okafor', 'Sophie Martin'];

async function main() {
  mkdirSync(OUT, { recursive: true });
  const database = await createTestDatabase();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    FAX_OUTBOX_DIR: tempDir('screenshots-outbox'),
    PUBLIC_BASE_URL: base,
    LOG_LEVEL: 'warn',
    SMS_QUIET_HOURS: 'off',
    // The demo network is a handful of people: a low threshold shows the typed confirmation.
    BROADCAST_CONFIRM_ABOVE: '3',
  };
  const app = await startTestApp(database, { env, databaseUrl: database.url });
  await app.app.listen({ port, host: '127.0.0.1' });
  const workers = await startTestWorkers(database, { env, queuePrefix: uniqueQueuePrefix() });
  const browser = await launchChromium();
  try {
    await loadDemoCampaigns({
      db: database.db,
      clock: () => new Date(),
      campaigns: app.app.services.campaigns,
    });
    for (const [i, name] of SIGNERS.entries()) {
      await sendSimulatedText({
        serverUrl: base,
        publicBaseUrl: base,
        authToken: app.config.twilio.authToken,
        accountSid: app.config.twilio.accountSid,
        from: `+4477009001${String(i).padStart(2, '0')}`,
        body: `MAGAMED ${name}`,
      });
    }
    const { email, password } = await consoleStaff(database, 'admin', 'ana.campaigns@example.org');
    const page = await browser.newPage({ viewport: LAPTOP });
    page.setDefaultTimeout(WAIT.timeout);
    const written: string[] = [];
    /** The page as it is, at a laptop's size and then a phone's (the layout follows the width). */
    const shoot = async (name: string, target: Page = page) => {
      await target.screenshot({ path: `${OUT}/${name}.png` });
      await target.setViewportSize(PHONE);
      await target.screenshot({ path: `${OUT}/${name}-phone.png` });
      await target.setViewportSize(LAPTOP);
      written.push(name);
    };

    await page.goto(`${base}/console/login`);
    await page.getByLabel('E-mail').fill(email);
    await shoot('console-login');
    await page.getByLabel('Password').fill(password);
    await Promise.all([
      page.waitForURL(/\/console$/, WAIT),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);

    await page.goto(`${base}/console/campaigns`);
    await shoot('console-campaigns');

    await page
      .getByRole('link', { name: /Magamed|MAGAMED/i })
      .first()
      .click();
    await page.waitForURL(/\/console\/campaigns\/\d+$/, WAIT);
    const campaignUrl = page.url();
    const campaignId = Number(campaignUrl.split('/').at(-1));
    const signatures = createSignaturesService({
      db: database.db,
      pool: database.pool,
      clock: () => new Date(),
    });
    const { items } = await signatures.list(campaignId, { limit: 10 });
    const last = items.at(-1);
    if (last)
      await signatures.hold(last.id, (await database.pool.query('SELECT id FROM staff LIMIT 1')).rows[0].id);
    await page.goto(campaignUrl);
    await shoot('console-campaign');

    // The fax confirmation: the letterhead's warning (ORG_ADDRESS and the rest are unset here) and page 1.
    await page.goto(`${campaignUrl}/fax/confirm`);
    await page.locator('#letterhead-warning').scrollIntoViewIfNeeded();
    await shoot('console-fax-confirm');
    await Promise.all([
      page.waitForURL(/\/console\/fax-batches\/\d+$/, WAIT),
      page.getByRole('button', { name: /^Send \d+ names now$/ }).click(),
    ]);
    // The file provider's state: a dry run is written to the outbox, not delivered.
    await page
      .locator('[data-field="status"]', { hasText: /^(delivered|written to the outbox \(dry run\))$/ })
      .waitFor(WAIT);
    await shoot('console-fax-batch');

    await page.goto(`${campaignUrl}/updates`);
    const empty = await page.locator('[data-field="characters"]').textContent();
    await page.getByLabel('Text').fill(UPDATE);
    await page.locator('[data-field="characters"]', { hasNotText: new RegExp(`^${empty}$`) }).waitFor(WAIT);
    await page.getByLabel(/The whole network/).check();
    await shoot('console-updates');

    await page.getByRole('button', { name: 'Preview and confirm…' }).click();
    await page.getByRole('heading', { name: 'Confirm the update' }).waitFor(WAIT);
    const audience =
      (await page.locator('[data-confirm="audience"]').textContent())?.replace(/\D/g, '') ?? '';
    await page.getByLabel(/Type the number of people/).fill(audience);
    await shoot('console-broadcast-confirm');
    await Promise.all([
      page.waitForURL(/\/console\/broadcasts\/\d+$/, WAIT),
      page.getByRole('button', { name: /^Send to / }).click(),
    ]);
    await page.locator('[data-field="status"]', { hasText: /^done$/ }).waitFor(WAIT);
    await shoot('console-broadcast');

    // A campaign typed from an urgent action: its fax numbers as printed, one of them mistyped.
    await page.goto(`${base}/console/campaigns/new`);
    await page.getByLabel('Keyword').fill('KALYAPIN');
    await page.getByLabel('Title', { exact: true }).fill('Human rights defender at risk');
    await page.getByLabel('Letter', { exact: true }).fill('We urge you to investigate the threats.');
    await page.locator('#target-0-name').fill('Prosecutor General');
    await page.locator('#target-0-salutation').fill('Dear Prosecutor General');
    await page.locator('#target-0-faxNumbers').fill('+7495 987 58 41/ +7495 692 17\n+7499 265 90 77');
    await page.getByLabel(/^Deadline/).fill('2020-01-01T18:00');
    await Promise.all([
      page.waitForLoadState('load'),
      page.getByRole('button', { name: 'Save', exact: true }).click(),
    ]);
    await page.getByRole('alert').waitFor(WAIT);
    await shoot('console-campaign-form');

    await page.goto(`${base}/console/members`);
    await shoot('console-members');

    // The home page, once a fax and an update have gone.
    await page.goto(`${base}/console`);
    await shoot('console-dashboard');
    console.log(`Wrote ${OUT}/{${written.join(',')}}{,-phone}.png`);
  } finally {
    await browser.close();
    await workers.close();
    await app.close();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
