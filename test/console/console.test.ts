import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignsService } from '../../src/campaigns/service.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';
import { setStaffPassword } from '../../src/staff/passwords.js';
import { waitFor } from '../fax/harness.js';
import { pdfPages, pdfText } from '../fax/pdf.js';
import { staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL, type TextFn } from '../helpers/phone.js';
import { ConsoleClient, consoleStaff, csrfOf, PASSWORD } from './session.js';

let database: TestDatabase;
let testApp: TestApp;
let text: TextFn;
let campaignId: number;
const SUPPORTER = '+447700900123';

beforeAll(async () => {
  database = await createTestDatabase();
  testApp = await startTestApp(database, { env: { PUBLIC_BASE_URL } });
  text = await listenForTexts(testApp);
  const campaign = await createCampaignsService({
    db: database.db,
    clock: () => new Date(),
    faxBatches: faxBatchesOfCampaigns,
  }).create({
    keyword: 'CONSOLE',
    title: 'Free the console',
    letter: { body: 'Release them.' },
    targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+74951234567'] }],
  });
  campaignId = campaign.id;
  await createCampaignsService({
    db: database.db,
    clock: () => new Date(),
    faxBatches: faxBatchesOfCampaigns,
  }).open(campaignId, null);
  await text(SUPPORTER, 'CONSOLE Jane Smith');
});
afterAll(async () => {
  await testApp.close();
  await database.drop();
});

describe('signing in', () => {
  it('sends a signed-out visitor to the sign-in page', async () => {
    const response = await new ConsoleClient(testApp.app).get('/console/campaigns');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/console/login');
  });

  it('refuses a wrong password and lets the right one in with a sealed, HttpOnly, Lax, Secure cookie', async () => {
    const { email } = await consoleStaff(database, 'viewer');
    const client = new ConsoleClient(testApp.app);
    const refused = await client.signIn(email, 'not the password at all');
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('do not match');
    expect((await client.get('/console/campaigns')).statusCode).toBe(303);

    const accepted = await client.signIn(email, PASSWORD);
    expect(accepted.statusCode).toBe(303);
    const cookie = String(accepted.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Secure/i);
    const list = await client.get('/console/campaigns');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Free the console');
  });

  it('makes an address wait after ten failures, whichever accounts it tries', async () => {
    const { email } = await consoleStaff(database, 'viewer');
    const client = new ConsoleClient(testApp.app);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await client.signIn(`guess-${i}@example.org`, `wrong guess ${i}`)).statusCode);
    }
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    const refused = await client.signIn(email, PASSWORD);
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toMatch(/Too many failed sign-ins; try again in \d seconds?\./);
    expect(refused.headers['retry-after']).toBe('1');
  });

  /** A second client holding the same cookie: what someone who copied it would have. */
  function copyOf(client: ConsoleClient) {
    const copy = new ConsoleClient(testApp.app);
    copy.cookie = client.cookie;
    return copy;
  }
  const signedIn = async (client: ConsoleClient) =>
    (await client.get('/console/campaigns')).statusCode === 200;

  it('signs out that session only, on the server: a copy of its cookie is refused afterwards', async () => {
    const { email } = await consoleStaff(database, 'viewer');
    const client = new ConsoleClient(testApp.app);
    const otherBrowser = new ConsoleClient(testApp.app);
    await client.signIn(email, PASSWORD);
    await otherBrowser.signIn(email, PASSWORD);
    const copied = copyOf(client);
    expect(await signedIn(copied)).toBe(true);

    const out = await client.submit('/console/campaigns', '/console/logout', {});
    expect(out.statusCode).toBe(303);
    expect((await client.get('/console/campaigns')).headers.location).toBe('/console/login');
    const refused = await copied.get('/console/campaigns');
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe('/console/login');
    expect(await signedIn(otherBrowser)).toBe(true);
  });

  it('ends every session of a person whose password is changed or whose account is disabled', async () => {
    const changed = await consoleStaff(database, 'viewer');
    const disabled = await consoleStaff(database, 'campaigner');
    const bystander = await consoleStaff(database, 'viewer');
    const admin = await consoleStaff(database, 'admin');
    const clients = new Map<string, ConsoleClient[]>();
    for (const { email } of [changed, disabled, bystander, admin]) {
      const pair = [new ConsoleClient(testApp.app), new ConsoleClient(testApp.app)];
      for (const client of pair) await client.signIn(email, PASSWORD);
      clients.set(email, pair);
    }
    const copies = [...clients.values()].flat().map(copyOf);

    await setStaffPassword(database.db, { email: changed.email, password: 'a brand new passphrase' }, null);
    const [adminClient] = clients.get(admin.email) ?? [];
    const { rows } = await database.pool.query('SELECT id FROM staff WHERE email = $1', [disabled.email]);
    const disabling = await adminClient?.submit('/console/staff', `/console/staff/${rows[0].id}`, {
      disabled: 'yes',
    });
    expect(disabling?.statusCode).toBe(303);

    const still = await Promise.all(copies.map(signedIn));
    expect(still).toEqual([false, false, false, false, true, true, true, true]);
    // Enabling the account again does not bring its old sessions back.
    await adminClient?.submit('/console/staff', `/console/staff/${rows[0].id}`, { disabled: 'no' });
    expect(await signedIn(copies[2] as ConsoleClient)).toBe(false);
  });
});

describe('forms', () => {
  it('refuses a form without its CSRF token, and one with another session’s token', async () => {
    const { email } = await consoleStaff(database, 'campaigner');
    const client = new ConsoleClient(testApp.app);
    await client.signIn(email, PASSWORD);
    const missing = await client.post(`/console/campaigns/${campaignId}/close`, {});
    expect(missing.statusCode).toBe(403);
    const other = new ConsoleClient(testApp.app);
    const foreignToken = csrfOf((await other.get('/console/login')).body);
    const forged = await client.post(`/console/campaigns/${campaignId}/close`, { _csrf: foreignToken });
    expect(forged.statusCode).toBe(403);
    expect(
      (
        await createCampaignsService({
          db: database.db,
          clock: () => new Date(),
          faxBatches: faxBatchesOfCampaigns,
        }).get(campaignId)
      ).status,
    ).toBe('open');
  });

  it('lets a viewer read but not change anything', async () => {
    const { email } = await consoleStaff(database, 'viewer');
    const client = new ConsoleClient(testApp.app);
    await client.signIn(email, PASSWORD);
    expect((await client.get(`/console/campaigns/${campaignId}`)).statusCode).toBe(200);
    const refused = await client.submit(
      `/console/campaigns/${campaignId}`,
      `/console/campaigns/${campaignId}/close`,
      {},
    );
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('needs the campaigner role');
    expect((await client.get('/console/staff')).statusCode).toBe(403);
  });

  it('shows a validation problem next to the field and keeps what was typed', async () => {
    const { email } = await consoleStaff(database, 'campaigner');
    const client = new ConsoleClient(testApp.app);
    await client.signIn(email, PASSWORD);
    const response = await client.submit('/console/campaigns/new', '/console/campaigns', {
      keyword: 'STOP',
      title: 'A title kept',
      body: 'Letter',
      targetCount: '1',
      'target-0-name': 'Judge',
      'target-0-salutation': 'Dear Judge',
      'target-0-faxNumbers': '+74951234567',
      'target-0-timezone': 'Europe/Moscow',
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatch(/id="keyword-error"><p>STOP is a reserved word/);
    expect(response.body).toContain('value="A title kept"');
  });

  it('shows every problem of the campaign form at once, each beside its field, in the validator’s words', async () => {
    const { email } = await consoleStaff(database, 'campaigner');
    const client = new ConsoleClient(testApp.app);
    await client.signIn(email, PASSWORD);
    const response = await client.submit('/console/campaigns/new', '/console/campaigns', {
      keyword: 'STOP',
      title: ' ',
      body: 'Letter',
      batchThreshold: 'many',
      targetCount: '1',
      'target-0-name': 'Judge',
      'target-0-salutation': 'Dear Judge',
      'target-0-faxNumbers': '+7499 265 90',
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('4 fields to put right');
    expect(response.body).toMatch(/id="keyword-error"><p>STOP is a reserved word/);
    expect(response.body).toContain('id="title-error"><p>Title must not be blank.</p>');
    expect(response.body).toContain(
      'id="batchThreshold-error"><p>The threshold must be a whole number from 1 to 1000000.</p>',
    );
    expect(response.body).toContain(
      'id="target-0-faxNumbers-error"><p>Fax numbers (target 1): &quot;+7499 265 90&quot; is not a valid',
    );
  });

  it('refuses a form of the wrong shape (a field sent twice) with the console’s 400 page', async () => {
    const { email } = await consoleStaff(database, 'campaigner');
    const client = new ConsoleClient(testApp.app);
    await client.signIn(email, PASSWORD);
    const page = await client.get('/console/campaigns/new');
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/console/campaigns',
      headers: { cookie: client.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(csrfOf(page.body))}&keyword=ONE&keyword=TWO`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<h1>Could not do that</h1>');
    expect(response.body).toContain('body/keyword must be string');
  });
});

describe('campaign work', () => {
  it('creates, edits and opens a campaign, previews its fax and queues a test fax', async () => {
    const client = new ConsoleClient(testApp.app);
    await client.signIn((await consoleStaff(database, 'campaigner')).email, PASSWORD);
    const form = {
      keyword: 'EDITME',
      title: 'First title',
      body: 'Letter',
      targetCount: '1',
      'target-0-name': 'Judge',
      'target-0-salutation': 'Dear Judge',
      'target-0-faxNumbers': '+74951234567\n+74951234568',
      'target-0-timezone': 'Europe/Moscow',
    };
    const created = await client.submit('/console/campaigns/new', '/console/campaigns', form);
    expect(created.statusCode).toBe(303);
    const url = String(created.headers.location);
    const id = url.split('/').at(-1);
    const edited = await client.submit(`${url}/edit`, `/console/campaigns/${id}`, {
      ...form,
      title: 'Second title',
      targetCount: '2',
    });
    expect(edited.statusCode).toBe(303);
    const shown = await client.get(url);
    expect(shown.body).toContain('<h1>Second title</h1>');
    expect((await client.get(`${url}/edit`)).body).toContain('+74951234567\n+74951234568</textarea>');
    expect((await client.submit(url, `${url}/open`, {})).statusCode).toBe(303);
    expect((await client.get(url)).body).toContain('status-open');
    // Public unless staff untick it: then /act/<keyword> answers 404.
    expect((await client.get(`${url}/edit`)).body).toMatch(/name="public" value="on" checked/);
    const hidden = await client.submit(`${url}/edit`, `/console/campaigns/${id}`, {
      ...form,
      title: 'Second title',
      public: 'off',
    });
    expect(hidden.statusCode).toBe(303);
    expect((await client.get(`${url}/edit`)).body).not.toMatch(/name="public" value="on" checked/);
    expect((await testApp.app.inject({ method: 'GET', url: '/act/EDITME.json' })).statusCode).toBe(404);

    const fax = await client.get(`${url}/fax`);
    expect(fax.statusCode).toBe(200);
    expect(fax.body).toContain('<strong>0 names</strong> are waiting');
    expect(fax.body).not.toContain('Send the batch');
    const preview = await client.get(`${url}/fax-preview.pdf`);
    expect(preview.headers['content-type']).toBe('application/pdf');
    const queued = await client.submit(`${url}/fax`, `${url}/test-fax`, { faxNumber: '+442079460000' });
    expect(queued.statusCode).toBe(202);
    const { rows } = await database.pool.query(
      `SELECT job_name FROM outbox WHERE payload->>'faxNumber' = $1`,
      ['+442079460000'],
    );
    expect(rows).toEqual([{ job_name: 'test-fax' }]);
  });
});

describe('fax batches', () => {
  it('show what the provider reported, and a dry run as written to the outbox, not delivered', async () => {
    const client = new ConsoleClient(testApp.app);
    await client.signIn((await consoleStaff(database, 'viewer')).email, PASSWORD);
    const query = async (text: string, params: unknown[]) => (await database.pool.query(text, params)).rows;
    const [target] = await query('SELECT id FROM targets WHERE campaign_id = $1', [campaignId]);
    const showing = async (status: 'delivered' | 'written') => {
      const [batch] = await query(
        `INSERT INTO fax_batches (campaign_id, reason, signature_count, status, completed_at)
         VALUES ($1, 'manual', 1, $2, now()) RETURNING id`,
        [campaignId, status],
      );
      await query(
        `INSERT INTO fax_deliveries (batch_id, target_id, part, parts, first_name, name_count, pages, status,
                                     fax_number, callback_token, provider_completed_at, pages_sent)
         VALUES ($1, $2, 1, 1, 0, 1, 2, $3, '+74951234567', $4, '2030-01-02T03:04:00Z', 2)`,
        [batch.id, target.id, status, `token-${status}`],
      );
      return (await client.get(`/console/fax-batches/${batch.id}`)).body;
    };
    const written = await showing('written');
    expect(written).toContain('data-field="status">written to the outbox (dry run)<');
    expect(written).toContain('written 2 Jan 2030, 03:04 GMT · 2 pages written');
    const delivered = await showing('delivered');
    expect(delivered).toContain('data-field="status">delivered<');
    expect(delivered).toContain('ended 2 Jan 2030, 03:04 GMT · 2 pages sent<');
  });

  it('are sent after a confirm step that says what goes to whom, and a failed delivery can be retried', async () => {
    const client = new ConsoleClient(testApp.app);
    await client.signIn((await consoleStaff(database, 'campaigner')).email, PASSWORD);
    const confirm = await client.get(`/console/campaigns/${campaignId}/fax/confirm`);
    expect(confirm.body).toMatch(/<strong>1 name<\/strong> of “Free the console” goes to 1 target:/);
    expect(confirm.body).toContain('Prosecutor (+74951234567)');
    // The test app sets no ORG_ADDRESS, ORG_EMAIL or ORG_PHONE: the page says so, naming them.
    expect(confirm.body).toContain(
      'Before you send: the letterhead is incomplete: ORG_ADDRESS, ORG_EMAIL and ORG_PHONE are not set',
    );
    // Page 1 as the target receives it: the letter page alone, in a frame Chromium's PDF viewer draws.
    const frame = /<iframe class="fax-page" src="([^"#]+)#/.exec(confirm.body);
    expect(frame?.[1]).toMatch(/^\/console\/campaigns\/\d+\/fax-preview\/first-page\.pdf\?targetId=\d+$/);
    const first = await client.get(String(frame?.[1]));
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/pdf');
    const file = join(mkdtempSync(join(tmpdir(), 'pp-first-page-')), 'page-1.pdf');
    writeFileSync(file, first.rawPayload);
    expect(pdfPages(file)).toBe(1);
    expect(pdfText(file)).toContain('Dear');
    const sent = await client.submit(
      `/console/campaigns/${campaignId}/fax/confirm`,
      `/console/campaigns/${campaignId}/fax-batches`,
      {},
    );
    expect(sent.statusCode).toBe(303);
    const batchUrl = String(sent.headers.location);
    const batchId = batchUrl.split('/').at(-1);
    const { rows } = await database.pool.query(
      `UPDATE fax_deliveries SET status = 'failed', attempts = 3, last_error = 'busy: the line was engaged'
       WHERE batch_id = $1 RETURNING id`,
      [batchId],
    );
    const page = await client.get(batchUrl);
    expect(page.body).toContain('busy: the line was engaged');
    const retried = await client.submit(batchUrl, `/console/fax-deliveries/${rows[0].id}/retry`, {
      batch: String(batchId),
    });
    expect(retried.statusCode).toBe(303);
    expect(retried.headers.location).toBe(batchUrl);
    const live = (await client.get(`${batchUrl}/live.json`)).json();
    expect(live.html.deliveries).toMatch(/data-delivery-status="\d+">pending</);
  });
});

describe('e-mail to targets', () => {
  it('takes a target’s e-mail addresses, channel and language in the campaign form', async () => {
    const client = new ConsoleClient(testApp.app);
    await client.signIn((await consoleStaff(database, 'campaigner')).email, PASSWORD);
    const form = await client.get('/console/campaigns/new');
    expect(form.body).toContain('<option value="both" >Fax and e-mail</option>');
    const created = await client.submit('/console/campaigns/new', '/console/campaigns', {
      keyword: 'MAILFORM',
      title: 'By e-mail',
      body: 'Letter',
      targetCount: '1',
      'target-0-name': 'Prosecutor',
      'target-0-salutation': 'Уважаемый прокурор!',
      'target-0-faxNumbers': '',
      'target-0-emails': 'prosecutor@example.org\nsecond@example.org',
      'target-0-channel': 'email',
      'target-0-language': 'ru',
      'target-0-timezone': 'Europe/Moscow',
    });
    expect(created.statusCode).toBe(303);
    const { rows } = await database.pool.query(
      `SELECT t.emails, t.channel, t.language FROM targets t JOIN campaigns c ON c.id = t.campaign_id
       WHERE c.keyword = 'MAILFORM'`,
    );
    expect(rows).toEqual([
      { emails: ['prosecutor@example.org', 'second@example.org'], channel: 'email', language: 'ru' },
    ]);
  });

  it('shows an uncertain e-mail on the batch page with why, and staff resend it', async () => {
    const client = new ConsoleClient(testApp.app);
    await client.signIn((await consoleStaff(database, 'campaigner')).email, PASSWORD);
    const query = async (text: string, params: unknown[]) => (await database.pool.query(text, params)).rows;
    const [target] = await query('SELECT id FROM targets WHERE campaign_id = $1', [campaignId]);
    const [batch] = await query(
      `INSERT INTO fax_batches (campaign_id, reason, signature_count, status) VALUES ($1, 'manual', 1, 'sending')
       RETURNING id`,
      [campaignId],
    );
    const [delivery] = await query(
      `INSERT INTO fax_deliveries (batch_id, target_id, part, parts, first_name, name_count, pages, channel, status,
                                   email_address, callback_token, last_error, document_path)
       VALUES ($1, $2, 1, 1, 0, 1, 2, 'email', 'uncertain', 'prosecutor@example.org', 'token-uncertain',
               'prosecutor@example.org: the connection ended; the server may have it', 'batches/x.pdf')
       RETURNING id`,
      [batch.id, target.id],
    );
    const batchUrl = `/console/fax-batches/${batch.id}`;
    const page = (await client.get(batchUrl)).body;
    expect(page).toContain('uncertain: the mail server may have it');
    expect(page).toContain(
      '<td data-label="Channel">e-mail</td><td data-label="Fax number or e-mail">prosecutor@example.org</td>',
    );
    expect(page).toContain('the connection ended; the server may have it');
    const resent = await client.submit(batchUrl, `/console/fax-deliveries/${delivery.id}/resend`, {
      batch: String(batch.id),
    });
    expect(resent.statusCode).toBe(303);
    const live = (await client.get(`${batchUrl}/live.json`)).json();
    expect(live.html.deliveries).toMatch(/data-delivery-status="\d+">waiting</);
  });

  it('shows a delivery blocked by the account on the batch page and the stuck page, with why, and sends it once fixed', async () => {
    const client = new ConsoleClient(testApp.app);
    await client.signIn((await consoleStaff(database, 'campaigner')).email, PASSWORD);
    const query = async (text: string, params: unknown[]) => (await database.pool.query(text, params)).rows;
    const [target] = await query('SELECT id FROM targets WHERE campaign_id = $1', [campaignId]);
    const [batch] = await query(
      `INSERT INTO fax_batches (campaign_id, reason, signature_count, status) VALUES ($1, 'manual', 1, 'sending')
       RETURNING id`,
      [campaignId],
    );
    const reason =
      'Insufficient funds to send fax and not able to auto recharge; There was a problem charging your credit card. Please check your payment information and try again. (FAX_ERROR 46)';
    const [delivery] = await query(
      `INSERT INTO fax_deliveries (batch_id, target_id, part, parts, first_name, name_count, pages, channel, status,
                                   fax_number, callback_token, last_error, document_path, next_attempt_at)
       VALUES ($1, $2, 1, 1, 0, 1, 2, 'fax', 'blocked', '+74950000099', 'token-blocked', $3, 'batches/y.pdf',
               now() + interval '1 hour')
       RETURNING id`,
      [batch.id, target.id, reason],
    );
    const page = (await client.get(`/console/fax-batches/${batch.id}`)).body;
    expect(page).toContain('blocked: fix the account or sender, tried again hourly');
    expect(page).toContain('Insufficient funds to send fax');
    // The counts behind the banner are shared for a few seconds: the page is read until they include it.
    const stuck = await waitFor(async () => {
      const body = (await client.get('/console/stuck')).body;
      return body.includes('fax-blocked') ? body : null;
    }, 'the stuck page to list the blocked delivery');
    expect(stuck).toMatch(/pieces? of work (is|are) stuck/);
    expect(stuck).toContain('Reason: Insufficient funds to send fax');
    expect(stuck).toContain(`/console/fax-batches/${batch.id}`);
    // Staff fixed the account: sent now, from the same number, not at the next hourly try.
    const batchUrl = `/console/fax-batches/${batch.id}`;
    expect(page).toContain('Fixed: send to');
    const retried = await client.submit(batchUrl, `/console/fax-deliveries/${delivery.id}/retry`, {
      batch: String(batch.id),
    });
    expect(retried.statusCode).toBe(303);
    expect(
      await query('SELECT status, next_attempt_at, fax_number FROM fax_deliveries WHERE id = $1', [
        delivery.id,
      ]),
    ).toEqual([{ status: 'blocked', next_attempt_at: null, fax_number: '+74950000099' }]);
    expect(
      await query(`SELECT before FROM audit_log WHERE action = 'fax_delivery.retry' AND entity_id = $1`, [
        delivery.id,
      ]),
    ).toEqual([{ before: { status: 'blocked', lastError: reason } }]);
    await query(`UPDATE fax_deliveries SET status = 'failed' WHERE callback_token = 'token-blocked'`, []);
  });
});

describe('admins', () => {
  it('manage staff, read the audit log and see the queues; campaigners do not', async () => {
    const admin = new ConsoleClient(testApp.app);
    await admin.signIn((await consoleStaff(database, 'admin')).email, PASSWORD);
    const created = await admin.submit('/console/staff', '/console/staff', {
      email: 'new-viewer@example.org',
      role: 'viewer',
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).toMatch(/class="token">pp_[A-Za-z0-9_-]{43}</);
    expect((await admin.get('/console/audit')).body).toContain('staff.create');
    const board = await admin.get('/console/queues');
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('__UI_CONFIG__');
    const queues = await admin.get('/console/queues/api/queues');
    expect(queues.statusCode).toBe(200);
    expect(queues.json().queues.map((queue: { name: string }) => queue.name)).toContain('fax-render');

    const campaigner = new ConsoleClient(testApp.app);
    await campaigner.signIn((await consoleStaff(database, 'campaigner')).email, PASSWORD);
    expect((await campaigner.get('/console/queues')).statusCode).toBe(403);
    expect((await campaigner.get('/console/queues/api/queues')).statusCode).toBe(403);
    expect((await campaigner.get('/console/audit')).statusCode).toBe(403);
  });
});

describe('Bull Board', () => {
  it('takes a state-changing call only with the CSRF token its page was given', async () => {
    const admin = new ConsoleClient(testApp.app);
    await admin.signIn((await consoleStaff(database, 'admin')).email, PASSWORD);
    const board = await admin.get('/console/queues');
    const cookie = [board.headers['set-cookie']].flat().find((line) => line?.startsWith('XSRF-TOKEN='));
    expect(cookie).toMatch(/Path=\/console\/queues/);
    expect(cookie).toMatch(/SameSite=Strict/);
    // The board's script reads it and sends it back as a header, so it cannot be HttpOnly.
    expect(cookie).not.toMatch(/HttpOnly/i);
    const token = decodeURIComponent(/^XSRF-TOKEN=([^;]+)/.exec(cookie ?? '')?.[1] ?? '');

    const queue = new Queue('sms-send', { connection: testApp.redis, prefix: testApp.queuePrefix });
    const pause = (headers: Record<string, string>) =>
      testApp.app.inject({
        method: 'PUT',
        url: '/console/queues/api/queues/sms-send/pause',
        remoteAddress: admin.remoteAddress,
        headers: { cookie: admin.cookie, ...headers },
      });
    expect((await pause({})).statusCode).toBe(403);
    const other = new ConsoleClient(testApp.app);
    await other.signIn((await consoleStaff(database, 'admin')).email, PASSWORD);
    const foreign = await other.get('/console/queues');
    const foreignToken = /XSRF-TOKEN=([^;]+)/.exec(String(foreign.headers['set-cookie']))?.[1] ?? '';
    expect((await pause({ 'x-xsrf-token': decodeURIComponent(foreignToken) })).statusCode).toBe(403);
    expect(await queue.isPaused()).toBe(false);

    expect((await pause({ 'x-xsrf-token': token })).statusCode).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    await queue.obliterate({ force: true });
    await queue.close();
  });
});

describe('the staff page', () => {
  it('says a token never used was never used', async () => {
    const { email } = await consoleStaff(database, 'admin');
    const client = new ConsoleClient(testApp.app);
    await client.signIn(email, PASSWORD);
    const { id } = await staffToken(database, 'viewer');
    const { rows } = await database.pool.query('SELECT id FROM api_tokens WHERE staff_id = $1', [id]);
    const page = (await client.get('/console/staff')).body;
    expect(page).toContain(`token ${rows[0].id}: never used`);
    expect(page).not.toContain('last used —');
  });
});

describe('privacy', () => {
  it('never shows a supporter’s phone number on any page', async () => {
    const { email } = await consoleStaff(database, 'admin');
    const client = new ConsoleClient(testApp.app);
    await client.signIn(email, PASSWORD);
    const national = SUPPORTER.replace('+44', '0');
    const digits = SUPPORTER.slice(1);
    for (const url of [
      '/console/campaigns',
      `/console/campaigns/${campaignId}`,
      `/console/campaigns/${campaignId}/live.json`,
      `/console/campaigns/${campaignId}/fax`,
      `/console/campaigns/${campaignId}/updates`,
      '/console/members',
      '/console/staff',
      '/console/audit',
    ]) {
      const response = await client.get(url);
      expect(response.statusCode, url).toBe(200);
      for (const form of [SUPPORTER, national, digits, '7700 900123', '7700900123']) {
        expect(response.body, url).not.toContain(form);
      }
    }
    expect((await client.get(`/console/campaigns/${campaignId}`)).body).toContain('Jane Smith');
  });

  it('imports members and erases one without ever echoing a number', async () => {
    const { email } = await consoleStaff(database, 'admin');
    const client = new ConsoleClient(testApp.app);
    await client.signIn(email, PASSWORD);
    const member = '+447700900456';
    const csv = `number,name,consent_date,consent_source\n${member},Sam Lee,2025-01-02,paper form\nnot a number,X,2025-01-02,web\n`;
    const countOf = (body: string) =>
      Number(/id="member-count"><strong>([\d,]+)</.exec(body)?.[1]?.replace(',', ''));
    const before = countOf((await client.get('/console/members')).body);
    expect(before).toBeGreaterThanOrEqual(0);
    const imported = await client.submit('/console/members', '/console/members/import', { csv });
    expect(imported.statusCode).toBe(200);
    // The page says how big the network is, the new member counted.
    expect(countOf(imported.body)).toBe(before + 1);
    expect(imported.body).toContain('Imported: 1 new, 0 already known');
    expect(imported.body).toContain('Line 3:');
    expect(imported.body).not.toContain('7700900456');
    const erased = await client.submit('/console/members', '/console/supporters/erase', {
      phoneNumber: member,
    });
    expect(erased.statusCode).toBe(200);
    expect(erased.body).toMatch(/Erased supporter \d+/);
    expect(erased.body).not.toContain('7700900456');
    const again = await client.submit('/console/members', '/console/supporters/erase', {
      phoneNumber: member,
    });
    expect(again.statusCode).toBe(404);
    expect(again.body).not.toContain('7700900456');
  });
});
