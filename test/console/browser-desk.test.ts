import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignsService } from '../../src/campaigns/service.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { insertSigners } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { textsTo } from '../helpers/phone.js';
import { launchChromium } from './browser.js';
import { consoleStaff } from './session.js';

/** Every wait in this file is for something on the page, bounded by this. */
const WAIT = { timeout: 20_000 };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let database: TestDatabase;
let testApp: TestApp;
let browser: Browser;
/** The console's address as a browser on the LAN types it. */
let base: string;
/** Where the app listens: the name above resolves here (a second loopback address). */
let listening: string;
let campaignId: number;
let admin: { email: string; password: string };

async function text(from: string, body: string) {
  const reply = await textsTo(testApp, listening)(from, body);
  expect(reply.status).toBe(200);
}

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await Promise.all([
    page.waitForURL(/\/console$/, WAIT),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/** The widest table on the page and the page's own width, in CSS pixels. */
const widths = (page: Page) =>
  page.evaluate<{ table: number; page: number }>(`({
    table: Math.max(0, ...[...document.querySelectorAll('table')].map((t) => t.getBoundingClientRect().right)),
    page: document.documentElement.scrollWidth,
  })`);

/** A browser context that reaches this app only: anything else it asks for (a web font) is refused. */
async function localContext(viewport: { width: number; height: number }) {
  const context = await browser.newContext({ viewport });
  await context.route(
    (url) => !url.href.startsWith(base),
    (route) => route.abort(),
  );
  return context;
}

beforeAll(async () => {
  database = await createTestDatabase();
  // Plain http at a name that is not localhost, as on an office LAN: Chromium resolves desk.lan to a
  // second loopback address. (Served at a loopback address by its number, Chromium would not upgrade
  // requests to https whatever the headers said, and the test could not fail.)
  const port = await freePort();
  base = `http://desk.lan:${port}`;
  listening = `http://127.0.0.2:${port}`;
  testApp = await startTestApp(database, { env: { PUBLIC_BASE_URL: base }, databaseUrl: database.url });
  await testApp.app.listen({ port, host: '127.0.0.2' });
  const campaigns = createCampaignsService({
    db: database.db,
    clock: () => new Date(),
    faxBatches: faxBatchesOfCampaigns,
  });
  const campaign = await campaigns.create({
    keyword: 'DESKB',
    title: 'Free the desk',
    letter: { body: 'Release them.' },
    targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+74951234567'] }],
  });
  campaignId = campaign.id;
  await campaigns.open(campaignId, null);
  await insertSigners(database, campaignId, 5_000);
  await text('+447700900201', 'DESKB Zenobia Quartermaine');
  await text('+447700900202', 'DESKB Mickey Mouse');
  admin = await consoleStaff(database, 'admin');
  browser = await launchChromium(['--host-resolver-rules=MAP desk.lan 127.0.0.2']);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await testApp?.close();
  await database?.drop();
});

describe('the campaign desk in a browser, over plain http on a LAN address', () => {
  it('signs in and shows every page styled, at a laptop’s size and a phone’s, no table wider than the phone', async () => {
    const context = await localContext(DESKTOP);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    const refused: string[] = [];
    page.on('requestfailed', (request) => {
      // A browser abandons the icon it was still fetching when the next page starts: not a refusal.
      const abandonedIcon =
        request.url().endsWith('/favicon.svg') && request.failure()?.errorText === 'net::ERR_ABORTED';
      if (request.url().startsWith(base) && !abandonedIcon) refused.push(request.url());
    });
    await signIn(page, admin);
    expect(page.url()).toMatch(/^http:\/\/desk\.lan:\d+\/console$/);

    const pages = [
      '/console',
      '/console/campaigns',
      `/console/campaigns/${campaignId}`,
      `/console/campaigns/${campaignId}?status=held`,
      `/console/campaigns/${campaignId}/edit`,
      `/console/campaigns/${campaignId}/fax`,
      `/console/campaigns/${campaignId}/updates`,
      `/console/campaigns/${campaignId}/close`,
      '/console/campaigns/new',
      '/console/members',
      '/console/staff',
      '/console/audit',
      '/console/account',
      '/console/stuck',
    ];
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      for (const path of pages) {
        const response = await page.goto(`${base}${path}`);
        expect(response?.status(), path).toBe(200);
        expect(page.url(), path).toMatch(/^http:\/\//);
        // The style sheet loaded over http: the header is drawn dark.
        const header = await page.evaluate<string>(
          "getComputedStyle(document.querySelector('header.top')).backgroundColor",
        );
        expect(header, path).toBe('rgb(17, 17, 17)');
        if (viewport === PHONE) {
          const { table, page: width } = await widths(page);
          expect(table, `${path}: widest table`).toBeLessThanOrEqual(PHONE.width);
          expect(width, `${path}: page width`).toBeLessThanOrEqual(PHONE.width);
        }
      }
    }
    // Bull Board answers too (its own app, not drawn by our style sheet).
    expect((await page.goto(`${base}/console/queues`))?.status()).toBe(200);
    expect(refused).toEqual([]);
    await context.close();
  }, 120_000);

  for (const viewport of [DESKTOP, PHONE]) {
    it(`finds one name among 5,000, shows a joke name held with its reason, and holds a name in place (${viewport.width} px)`, async () => {
      const context = await localContext(viewport);
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT.timeout);
      await signIn(page, admin);
      await page.goto(`${base}/console/campaigns/${campaignId}`);
      await expect(page.locator('#list-summary').textContent()).resolves.toMatch(/1–100 of 5,002 signatures/);

      // The joke name waits for review, with why.
      const held = page.locator('[data-html="held"] tr', { hasText: 'Mickey Mouse' });
      await expect(held.textContent()).resolves.toContain('A fictional character');

      await page.getByLabel('Name contains').fill('quartermaine');
      await Promise.all([
        page.waitForURL(/q=quartermaine/, WAIT),
        page.getByRole('button', { name: 'Search' }).click(),
      ]);
      await expect(page.locator('#list-summary').textContent()).resolves.toContain('1 signature matches');
      const rows = page.locator('#signatures ~ .table-wrap tbody tr');
      expect(await rows.count()).toBe(1);
      await expect(rows.first().textContent()).resolves.toContain('Zenobia Quartermaine');

      // Page 3 of the whole list, then hold a name there: back on page 3, at its row, with a message.
      await page.goto(`${base}/console/campaigns/${campaignId}?page=3`);
      // A different row at each size: the other run has held its own.
      const row = page.locator('#signatures ~ .table-wrap tbody tr').nth(viewport === PHONE ? 70 : 60);
      const rowId = await row.getAttribute('id');
      await Promise.all([
        page.waitForURL(new RegExp(`page=3#${rowId}$`), WAIT),
        row.getByRole('button', { name: /^Hold / }).click(),
      ]);
      await expect(page.locator('p.notice[role=status]').textContent()).resolves.toMatch(/^Held Signer /);
      await expect(page.locator(`#${rowId}`).textContent()).resolves.toContain('held');
      expect(await page.evaluate('window.scrollY')).toBeGreaterThan(300);
      await context.close();
    }, 60_000);
  }

  it('lets an invited colleague set a password through the link and sign in', async () => {
    const context = await localContext(DESKTOP);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    await signIn(page, admin);
    await page.goto(`${base}/console/staff`);
    await page.getByLabel('Their e-mail').fill('invited.colleague@example.org');
    await page.getByLabel('Role', { exact: true }).selectOption('campaigner');
    await page.getByRole('button', { name: 'Invite' }).click();
    const link = (await page.locator('#password-link .token').textContent())?.trim() ?? '';
    expect(link).toMatch(new RegExp(`^${base}/console/password/`));

    const colleague = await localContext(PHONE);
    const phone = await colleague.newPage();
    phone.setDefaultTimeout(WAIT.timeout);
    await phone.goto(link);
    await phone.getByLabel('New password').fill('a colleague’s long password');
    await phone.getByLabel('The same again').fill('a colleague’s long password');
    await Promise.all([
      phone.waitForURL('**/console/account', WAIT),
      phone.getByRole('button', { name: 'Set my password and sign in' }).click(),
    ]);
    await phone.getByText('Your password is set; you are signed in.').waitFor(WAIT);
    await phone.goto(`${base}/console/campaigns`);
    await phone.getByRole('link', { name: 'Free the desk' }).waitFor(WAIT);

    // The link is spent; the password signs in from anywhere.
    expect((await phone.goto(link))?.status()).toBe(410);
    const other = await localContext(DESKTOP);
    await signIn(await other.newPage(), {
      email: 'invited.colleague@example.org',
      password: 'a colleague’s long password',
    });
    await other.close();
    await colleague.close();
    await context.close();
  }, 60_000);
});

describe('the campaign form and the cards on a phone, in a browser', () => {
  for (const viewport of [DESKTOP, PHONE]) {
    it(`adds and removes targets in place, keeps every field on screen and loads no missing file (${viewport.width} px)`, async () => {
      const context = await localContext(viewport);
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT.timeout);
      const missing: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400) missing.push(`${response.status()} ${response.url()}`);
      });
      await signIn(page, admin);
      await page.goto(`${base}/console/campaigns/new`);
      // The icon every browser asks for is there.
      expect((await fetch(`${listening}/favicon.ico`)).status).toBe(200);
      const targets = page.locator('[data-targets] fieldset');
      expect(await targets.count()).toBe(1);
      // Added in place: the page is not reloaded (what the script set on it survives).
      await page.evaluate('window.stayed = true');
      await page.getByRole('button', { name: 'Add another target' }).click();
      expect(await targets.count()).toBe(2);
      await expect(targets.nth(1).locator('legend').textContent()).resolves.toBe('Target 2');
      expect(await page.evaluate('window.stayed')).toBe(true);
      await page.locator('#target-1-name').fill('Second judge');
      await page.locator('#target-1-salutation').fill('Dear Judge');
      await page.locator('#target-1-faxNumbers').fill('+7495 987 58 41/ +7495 692 17 25');
      // What the numbers are read as, shown while they are typed.
      await page
        .locator('#target-1-faxNumbers-understood', { hasText: 'Understood as: +74959875841, +74956921725' })
        .waitFor(WAIT);
      await page.locator('#target-1-channel').selectOption('both');
      await page.locator('#target-1-emails').fill('judge@example.org');
      await targets.first().getByRole('button', { name: 'Remove this target' }).click();
      expect(await targets.count()).toBe(1);
      await expect(targets.first().locator('legend').textContent()).resolves.toBe('Target 1');

      // Nothing wider than the screen: the long "Send by" choice stays inside its fieldset.
      const select = await page.locator('#target-1-channel').boundingBox();
      const fieldset = await targets.first().boundingBox();
      expect((select?.x ?? 0) + (select?.width ?? 0)).toBeLessThanOrEqual(viewport.width);
      expect((select?.x ?? 0) + (select?.width ?? 0)).toBeLessThanOrEqual(
        (fieldset?.x ?? 0) + (fieldset?.width ?? 0),
      );
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);

      const keyword = `FORM${viewport.width}`;
      await page.getByLabel('Keyword').fill(keyword);
      await page.getByLabel('Title', { exact: true }).fill(`Two numbers on a line (${viewport.width})`);
      await page.getByLabel('Letter', { exact: true }).fill('Release them.');
      await Promise.all([
        page.waitForURL(/\/console\/campaigns\/\d+$/, WAIT),
        page.getByRole('button', { name: 'Save', exact: true }).click(),
      ]);
      // The campaign as it will be sent: one target, both numbers in E.164.
      const sent = page.locator('.targets-sent .card');
      expect(await sent.count()).toBe(1);
      await expect(sent.first().textContent()).resolves.toContain('+74959875841, +74956921725');
      await page.getByRole('heading', { name: 'Embed this action' }).waitFor(WAIT);

      // The campaigns list's note is a line above the cards, not a narrow column beside them.
      await page.goto(`${base}/console/campaigns`);
      const note = await page.getByText('Counts update by themselves.').boundingBox();
      expect(note?.width ?? 0).toBeGreaterThan(viewport.width / 2);
      expect(note?.height ?? 0).toBeLessThan(40);
      expect(missing).toEqual([]);
      await context.close();
    }, 60_000);
  }

  it('shows a delivery card on a phone without an empty “Why it failed”', async () => {
    const query = async (text: string, params: unknown[]) => (await database.pool.query(text, params)).rows;
    const [target] = await query('SELECT id FROM targets WHERE campaign_id = $1', [campaignId]);
    const [batch] = await query(
      `INSERT INTO fax_batches (campaign_id, reason, signature_count, status, completed_at)
       VALUES ($1, 'manual', 1, 'written', now()) RETURNING id`,
      [campaignId],
    );
    const delivery = (part: number, status: string, error: string | null) =>
      query(
        `INSERT INTO fax_deliveries (batch_id, target_id, part, parts, first_name, name_count, pages, status,
                                     fax_number, callback_token, last_error)
         VALUES ($1, $2, $3, 2, 0, 1, 2, $4, '+74951234567', $5, $6)`,
        [batch.id, target.id, part, status, `card-${batch.id}-${part}`, error],
      );
    await delivery(1, 'written', null);
    await delivery(2, 'failed', 'busy: the line was engaged');
    const context = await localContext(PHONE);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    await signIn(page, admin);
    await page.goto(`${base}/console/fax-batches/${batch.id}`);
    const cards = page.locator('tbody[data-html="deliveries"] tr');
    expect(await cards.count()).toBe(2);
    expect(await cards.nth(0).locator('td[data-label="Why it failed"]').isVisible()).toBe(false);
    expect(await cards.nth(1).locator('td[data-label="Why it failed"]').isVisible()).toBe(true);
    await expect(cards.nth(1).textContent()).resolves.toContain('busy: the line was engaged');
    await context.close();
  }, 30_000);
});
