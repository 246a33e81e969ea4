import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignsService } from '../../src/campaigns/service.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { insertSigners } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { PUBLIC_BASE_URL } from '../helpers/phone.js';
import { ConsoleClient, consoleStaff, csrfOf, PASSWORD } from './session.js';

let database: TestDatabase;
let testApp: TestApp;
let campaignId: number;
let campaigner: ConsoleClient;

const campaignsService = () =>
  createCampaignsService({ db: database.db, clock: () => new Date(), faxBatches: faxBatchesOfCampaigns });

async function signer(name: string, status: 'valid' | 'held' = 'valid', reason: string | null = null) {
  const { rows } = await database.pool.query(
    `WITH s AS (INSERT INTO supporters (phone_index, name, source) VALUES ($1, $2, 'test') RETURNING id)
     INSERT INTO signatures (campaign_id, supporter_id, name, status, hold_reason)
     SELECT $3, id, $2, $4, $5 FROM s RETURNING id`,
    [`desk-one-${name}`, name, campaignId, status, reason],
  );
  return Number(rows[0].id);
}

async function statusOf(id: number) {
  const { rows } = await database.pool.query('SELECT status FROM signatures WHERE id = $1', [id]);
  return rows[0].status as string;
}

beforeAll(async () => {
  database = await createTestDatabase();
  testApp = await startTestApp(database, { env: { PUBLIC_BASE_URL, ORG_TIMEZONE: 'Europe/Moscow' } });
  const campaign = await campaignsService().create({
    keyword: 'DESK',
    title: 'Free the desk',
    letter: { body: 'Release them.' },
    targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+74951234567'] }],
  });
  campaignId = campaign.id;
  await campaignsService().open(campaignId, null);
  await insertSigners(database, campaignId, 250);
  campaigner = new ConsoleClient(testApp.app);
  await campaigner.signIn((await consoleStaff(database, 'campaigner')).email, PASSWORD);
}, 30_000);

afterAll(async () => {
  await testApp.close();
  await database.drop();
});

describe('the signatures of a campaign', () => {
  it('are searched by name and filtered by status, and the pages keep the search', async () => {
    const needle = await signer('Zenobia Quartermaine');
    const found = await campaigner.get(`/console/campaigns/${campaignId}?q=quarterm`);
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain(`id="sig-${needle}"`);
    expect(found.body).toContain('1 signature matches');
    expect(found.body).not.toContain('Signer b<');

    const first = await campaigner.get(`/console/campaigns/${campaignId}?q=signer`);
    expect(first.body).toContain('1–100 of 250 signatures matching');
    expect(first.body).toContain('Page 1 of 3');
    expect(first.body).toContain(`href="/console/campaigns/${campaignId}?q=signer&amp;page=2#signatures"`);
    const second = await campaigner.get(`/console/campaigns/${campaignId}?q=signer&page=2`);
    expect(second.body).toContain('101–200 of 250 signatures matching');

    // A LIKE wildcard typed is taken literally.
    expect((await campaigner.get(`/console/campaigns/${campaignId}?q=%25`)).body).toContain(
      'No signatures match.',
    );
    const held = await campaigner.get(`/console/campaigns/${campaignId}?status=held`);
    expect(held.body).toContain('No signatures match.');
  });

  it('answers hold and release with a message, back at the same list and row', async () => {
    const id = await signer('Ottoline Bramble');
    const back = 'q=bramble&page=1';
    const held = await campaigner.submit(
      `/console/campaigns/${campaignId}?q=bramble`,
      `/console/signatures/${id}/hold`,
      { back, from: 'list' },
    );
    expect(held.statusCode).toBe(303);
    expect(held.headers.location).toBe(`/console/campaigns/${campaignId}?q=bramble#sig-${id}`);
    expect(await statusOf(id)).toBe('held');
    const shown = await campaigner.get(String(held.headers.location));
    expect(shown.body).toContain('Held Ottoline Bramble.');
    expect(shown.body).toContain('Held by staff');
    // The message is shown once.
    expect((await campaigner.get(String(held.headers.location))).body).not.toContain(
      'Held Ottoline Bramble.',
    );

    // From a list of held names, a released row leaves the list: back to the list's top.
    const released = await campaigner.submit(
      `/console/campaigns/${campaignId}?status=held`,
      `/console/signatures/${id}/release`,
      { back: 'status=held', from: 'list' },
    );
    expect(released.headers.location).toBe(`/console/campaigns/${campaignId}?status=held#signatures`);
    expect((await campaigner.get(String(released.headers.location))).body).toContain(
      'Released Ottoline Bramble.',
    );

    // A refusal comes back the same way, as a problem.
    await database.pool.query(`UPDATE signatures SET status = 'late' WHERE id = $1`, [id]);
    const refused = await campaigner.submit(
      `/console/campaigns/${campaignId}`,
      `/console/signatures/${id}/hide`,
      { back: '', from: 'list' },
    );
    expect(refused.statusCode).toBe(303);
    expect((await campaigner.get(String(refused.headers.location))).body).toMatch(
      /class="problem" role="alert">A late signature came after the action closed/,
    );
  });

  it('shows why a name is held, and releases or hides a filtered list at once', async () => {
    const jokes = [
      await signer('Mickey Mouse', 'held', 'fictional-character'),
      await signer('Test Test', 'held', 'placeholder-name'),
    ];
    const other = await signer('Pomona Held', 'held', 'profanity');
    const page = await campaigner.get(`/console/campaigns/${campaignId}`);
    expect(page.body).toContain('A fictional character');
    expect(page.body).toContain('A placeholder or test name');

    const none = await campaigner.submit(
      `/console/campaigns/${campaignId}`,
      `/console/campaigns/${campaignId}/signatures/bulk`,
      { action: 'hide', q: '', status: '' },
    );
    expect((await campaigner.get(String(none.headers.location))).body).toContain(
      'a bulk change applies to a filtered list',
    );
    expect(await statusOf(other)).toBe('held');

    const list = await campaigner.get(`/console/campaigns/${campaignId}?status=held&q=s`);
    expect(list.body).toContain('Hide them all');
    const hidden = await campaigner.post(`/console/campaigns/${campaignId}/signatures/bulk`, {
      _csrf: csrfOf(list.body),
      action: 'hide',
      q: 'S',
      status: 'held',
    });
    expect(hidden.headers.location).toBe(`/console/campaigns/${campaignId}?q=S&status=held#signatures`);
    // "Test Test" and "Mickey Mouse" hold an s; "Pomona Held" does not.
    expect((await campaigner.get(String(hidden.headers.location))).body).toContain('Hid 2 names.');
    expect(await Promise.all(jokes.map(statusOf))).toEqual(['hidden', 'hidden']);
    expect(await statusOf(other)).toBe('held');

    const released = await campaigner.submit(
      `/console/campaigns/${campaignId}?status=hidden`,
      `/console/campaigns/${campaignId}/signatures/bulk`,
      { action: 'release', q: 'mouse', status: 'hidden' },
    );
    expect((await campaigner.get(String(released.headers.location))).body).toContain('Released 1 name.');
    expect(await statusOf(jokes[0] as number)).toBe('valid');
  });

  it('link to a CSV of their names', async () => {
    const page = await campaigner.get(`/console/campaigns/${campaignId}?status=valid`);
    expect(page.body).toContain(`href="/console/campaigns/${campaignId}/signatures.csv?status=valid"`);
    const csv = await campaigner.get(`/console/campaigns/${campaignId}/signatures.csv?status=valid`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="desk-signatures-valid.csv"');
    expect(csv.body).toContain('Zenobia Quartermaine');
    expect(csv.body.trim().split('\n').length).toBeGreaterThan(250);
  });
});

describe('closing a campaign', () => {
  it('asks first, saying what it does', async () => {
    const campaign = await campaignsService().create({
      keyword: 'CLOSEME',
      title: 'Close me',
      letter: { body: 'Release them.' },
      targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+74951234567'] }],
    });
    await campaignsService().open(campaign.id, null);
    const page = await campaigner.get(`/console/campaigns/${campaign.id}`);
    expect(page.body).toContain(`href="/console/campaigns/${campaign.id}/close">Close the campaign…</a>`);
    const ask = await campaigner.get(`/console/campaigns/${campaign.id}/close`);
    expect(ask.body).toContain('sends no last fax: no names are waiting');
    expect(ask.body).toContain('cannot be undone');
    expect(ask.body).toMatch(/late replies|arrive afterwards/);

    const unconfirmed = await campaigner.post(`/console/campaigns/${campaign.id}/close`, {
      _csrf: csrfOf(ask.body),
    });
    expect(unconfirmed.headers.location).toBe(`/console/campaigns/${campaign.id}/close`);
    expect((await campaignsService().get(campaign.id)).status).toBe('open');
    const closed = await campaigner.submit(
      `/console/campaigns/${campaign.id}/close`,
      `/console/campaigns/${campaign.id}/close`,
      {
        confirm: 'yes',
      },
    );
    expect(closed.statusCode).toBe(303);
    expect((await campaignsService().get(campaign.id)).status).toBe('closed');
  });
});

describe('the campaign form', () => {
  it('reads and shows the deadline on the organisation’s clock, and keeps a bad one beside its field', async () => {
    const created = await campaigner.submit('/console/campaigns/new', '/console/campaigns', {
      keyword: 'CLOCK',
      title: 'On Moscow time',
      body: 'Letter',
      closesAt: '2099-01-01T10:00',
      targetCount: '1',
      'target-0-name': 'Judge',
      'target-0-salutation': 'Dear Judge',
      'target-0-faxNumbers': '+74951234567',
    });
    expect(created.statusCode).toBe(303);
    const id = Number(String(created.headers.location).split('/').pop());
    expect((await campaignsService().get(id)).closesAt?.toISOString()).toBe('2099-01-01T07:00:00.000Z');
    const edit = await campaigner.get(`/console/campaigns/${id}/edit`);
    expect(edit.body).toContain('value="2099-01-01T10:00"');
    expect(edit.body).toContain('Deadline (Europe/Moscow time)');
    expect((await campaigner.get(`/console/campaigns/${id}`)).body).toContain('1 Jan 2099, 10:00 GMT+3');

    const refused = await campaigner.submit('/console/campaigns/new', '/console/campaigns', {
      keyword: 'CLOCKTWO',
      title: 'Kept title',
      body: 'Letter',
      closesAt: '2099-02-31T10:00',
      targetCount: '0',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('id="closesAt-error"');
    expect(refused.body).toContain('value="Kept title"');
    expect(refused.body).toContain('value="2099-02-31T10:00"');
  });
});

describe('the campaign form’s problems', () => {
  it('speak the form’s words and the organisation’s clock, and show the numbers understood', async () => {
    const refused = await campaigner.submit('/console/campaigns/new', '/console/campaigns', {
      keyword: 'SEEDS',
      title: 'Seeds',
      body: 'Letter',
      closesAt: '2020-01-01T10:00',
      targetCount: '1',
      'target-0-name': 'Prosecutor General',
      'target-0-salutation': 'Dear Prosecutor General',
      'target-0-faxNumbers': '+7499 265 90 77/ +7499 265 97 75\n+7495 987 58/ +7495 692 17 25\n12345',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(
      /Deadline must be in the future \(it is now \d{1,2} \w{3} \d{4}, \d\d:\d\d Europe\/Moscow time\)\./,
    );
    expect(refused.body).not.toContain('closesAt must');
    // Every bad number at once, beside the field, and what was understood of the rest.
    expect(refused.body).toContain(
      'Fax numbers (target 1): &quot;+7495 987 58&quot; is not a valid phone number',
    );
    expect(refused.body).toContain('Fax numbers (target 1): &quot;12345&quot; is not a valid phone number');
    expect(refused.body).toContain(
      'Understood as: <span data-understood>+74992659077, +74992659775, +74956921725</span>',
    );

    const created = await campaigner.submit('/console/campaigns/new', '/console/campaigns', {
      keyword: 'SEEDSOK',
      title: 'Seeds',
      body: 'Letter',
      targetCount: '1',
      'target-0-name': 'Prosecutor General',
      'target-0-salutation': 'Dear Prosecutor General',
      'target-0-faxNumbers': '+7499 265 90 77/ +7499 265 97 75\n+7495 987 58 41/ +7495 692 17 25',
    });
    expect(created.statusCode).toBe(303);
    const id = Number(String(created.headers.location).split('/').pop());
    expect((await campaignsService().get(id)).targets[0]?.faxNumbers).toEqual([
      '+74992659077',
      '+74992659775',
      '+74959875841',
      '+74956921725',
    ]);
  });

  it('are all shown at once, each beside its field, with what was typed kept', async () => {
    const refused = await campaigner.submit('/console/campaigns/new', '/console/campaigns', {
      keyword: 'MANY',
      title: '   ',
      body: 'Letter kept',
      closesAt: 'next tuesday',
      batchThreshold: 'lots',
      targetCount: '2',
      'target-0-name': 'Judge',
      'target-0-salutation': 'Dear Judge',
      'target-0-faxNumbers': '+74951234567',
      'target-1-name': 'Second judge',
      'target-1-faxNumbers': 'not a number',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('5 fields to put right');
    for (const field of [
      'title',
      'closesAt',
      'batchThreshold',
      'target-1-salutation',
      'target-1-faxNumbers',
    ]) {
      expect(refused.body, field).toContain(`id="${field}-error"`);
    }
    expect(refused.body).not.toContain('id="target-0-faxNumbers-error"');
    // In the form's own words: its labels, not the API's field paths.
    expect(refused.body).toContain('Title must not be blank.');
    expect(refused.body).toContain('Salutation (target 2) must not be blank.');
    expect(refused.body).toContain(
      'Fax numbers (target 2): &quot;not a number&quot; is not a valid phone number',
    );
    expect(refused.body).not.toContain('targets[1]');
    expect(refused.body).toContain('>Letter kept</textarea>');
    expect(refused.body).toContain('value="Second judge"');
    expect(refused.body).toContain('value="lots"');
  });
});

describe('https-only headers', () => {
  it('apply over https, and not over plain http on a LAN', async () => {
    const secure = await new ConsoleClient(testApp.app).get('/console/login');
    expect(secure.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(secure.headers['strict-transport-security']).toBeDefined();

    const lan = await startTestApp(database, { env: { PUBLIC_BASE_URL: 'http://192.0.2.10:3000' } });
    try {
      const { email } = await consoleStaff(database, 'viewer');
      const client = new ConsoleClient(lan.app);
      const login = await client.get('/console/login');
      expect(login.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(login.headers['content-security-policy']).toContain("form-action 'self'");
      expect(login.headers['strict-transport-security']).toBeUndefined();
      const signedIn = await client.signIn(email, PASSWORD);
      expect(String(signedIn.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);
      expect((await client.get('/console/campaigns')).statusCode).toBe(200);
    } finally {
      await lan.close();
    }
  });
});

describe('staff accounts', () => {
  it('an admin invites a colleague, who sets a password through the one-time link and is signed in', async () => {
    const admin = new ConsoleClient(testApp.app);
    await admin.signIn((await consoleStaff(database, 'admin')).email, PASSWORD);
    const bad = await admin.submit('/console/staff', '/console/staff/invite', {
      email: 'not an address',
      role: 'viewer',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('id="invite-email-error"');
    expect(bad.body).toContain('value="not an address"');

    const invited = await admin.submit('/console/staff', '/console/staff/invite', {
      email: 'new.colleague@example.org',
      role: 'campaigner',
    });
    expect(invited.statusCode).toBe(201);
    const link = /https:\/\/pocketprotest\.example\.org(\/console\/password\/[\w-]+)/.exec(invited.body)?.[1];
    expect(link).toBeDefined();
    // Shown once: the staff page does not show it again.
    expect((await admin.get('/console/staff')).body).not.toContain(String(link));

    const colleague = new ConsoleClient(testApp.app);
    const welcome = await colleague.get(String(link));
    expect(welcome.body).toContain('Welcome: choose your password');
    expect(welcome.body).toContain('new.colleague@example.org');
    const differ = await colleague.post(String(link), {
      _csrf: csrfOf(welcome.body),
      password: 'a long enough password',
      repeat: 'another long password',
    });
    expect(differ.statusCode).toBe(400);
    expect(differ.body).toContain('id="repeat-error"');
    const set = await colleague.submit(String(link), String(link), {
      password: 'a long enough password',
      repeat: 'a long enough password',
    });
    expect(set.statusCode).toBe(303);
    const account = await colleague.get('/console/account');
    expect(account.body).toContain('Your password is set; you are signed in.');
    expect(account.body).toContain('new.colleague@example.org');
    expect((await colleague.get('/console/campaigns')).statusCode).toBe(200);

    // The link worked once.
    expect((await new ConsoleClient(testApp.app).get(String(link))).statusCode).toBe(410);

    // A reset link: the colleague's sessions end when it is used.
    const { rows } = await database.pool.query(
      `SELECT id FROM staff WHERE email = 'new.colleague@example.org'`,
    );
    const reset = await admin.submit('/console/staff', `/console/staff/${rows[0].id}/reset`, {});
    const resetLink = /(\/console\/password\/[\w-]+)/.exec(reset.body)?.[1];
    const stranger = new ConsoleClient(testApp.app);
    expect((await stranger.get(String(resetLink))).body).toContain('Choose a new password');
    await stranger.submit(String(resetLink), String(resetLink), {
      password: 'the reset password here',
      repeat: 'the reset password here',
    });
    expect((await colleague.get('/console/campaigns')).statusCode).toBe(303);

    // A newer link replaces an unused one; a link past its time no longer works.
    const linkIn = (body: string) => String(/(\/console\/password\/[\w-]+)/.exec(body)?.[1]);
    const older = linkIn(
      (await admin.submit('/console/staff', `/console/staff/${rows[0].id}/reset`, {})).body,
    );
    const newer = linkIn(
      (await admin.submit('/console/staff', `/console/staff/${rows[0].id}/reset`, {})).body,
    );
    expect((await stranger.get(older)).statusCode).toBe(410);
    expect((await stranger.get(newer)).statusCode).toBe(200);
    await database.pool.query(
      `UPDATE staff_password_links SET expires_at = now() - interval '1 second' WHERE staff_id = $1`,
      [rows[0].id],
    );
    const expired = await stranger.get(newer);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('has expired');

    // A refused change of role comes back on the staff page, at the row, as a problem.
    const { rows: me } = await database.pool.query(
      `SELECT id FROM staff WHERE role = 'admin' ORDER BY id DESC LIMIT 1`,
    );
    const demoted = await admin.submit('/console/staff', `/console/staff/${me[0].id}`, { role: 'viewer' });
    expect(demoted.headers.location).toBe(`/console/staff#staff-${me[0].id}`);
    expect((await admin.get('/console/staff')).body).toContain(
      'class="problem" role="status">Admins cannot disable or demote themselves.',
    );
    const promoted = await admin.submit('/console/staff', `/console/staff/${rows[0].id}`, { role: 'admin' });
    expect(promoted.statusCode).toBe(303);
    expect((await admin.get('/console/staff')).body).toContain('new.colleague@example.org is now admin.');

    // The audit log names who did what by e-mail, filterable by person.
    const audit = await admin.get(`/console/audit?who=${rows[0].id}`);
    expect(audit.body).toContain('staff.accept-invite');
    expect(audit.body).toContain('staff.password-reset');
    expect(audit.body).not.toContain('staff.invite<');
    const invites = await admin.get('/console/audit?action=invite');
    expect(invites.body).toMatch(
      /<td data-label="Who">console-admin-[^<]+@example\.org<\/td><td data-label="What">staff\.invite</,
    );
    expect(invites.body).toMatch(/<code>role<\/code>: <ins>campaigner<\/ins>/);
  });

  it('each person changes their own password, which signs out their other sessions', async () => {
    const { email } = await consoleStaff(database, 'viewer');
    const here = new ConsoleClient(testApp.app);
    const elsewhere = new ConsoleClient(testApp.app);
    await here.signIn(email, PASSWORD);
    await elsewhere.signIn(email, PASSWORD);
    const wrong = await here.submit('/console/account', '/console/account/password', {
      current: 'not my password',
      password: 'brand new password',
      repeat: 'brand new password',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('id="current-error"');
    const short = await here.submit('/console/account', '/console/account/password', {
      current: PASSWORD,
      password: 'short',
      repeat: 'short',
    });
    expect(short.body).toContain('id="password-error"');
    const changed = await here.submit('/console/account', '/console/account/password', {
      current: PASSWORD,
      password: 'brand new password',
      repeat: 'brand new password',
    });
    expect(changed.statusCode).toBe(303);
    expect((await here.get('/console/account')).body).toContain('every other session of yours is signed out');
    expect((await elsewhere.get('/console/campaigns')).statusCode).toBe(303);
    const again = new ConsoleClient(testApp.app);
    expect((await again.signIn(email, 'brand new password')).statusCode).toBe(303);
  });
});

describe('the members import', () => {
  it('takes an uploaded file, its CSRF token among the form’s fields', async () => {
    const page = await campaigner.get('/console/members');
    expect(page.body).toContain('enctype="multipart/form-data"');
    const boundary = '----desk-boundary';
    const part = (name: string, value: string, filename?: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"\r\nContent-Type: text/csv` : ''}\r\n\r\n${value}\r\n`;
    const csv = 'number,name,consent_date,consent_source\n+447700900777,Uploaded Person,2025-01-02,web\n';
    const send = (token: string) =>
      testApp.app.inject({
        method: 'POST',
        url: '/console/members/import',
        remoteAddress: campaigner.remoteAddress,
        headers: { cookie: campaigner.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: `${part('_csrf', token)}${part('file', csv, 'network.csv')}${part('csv', '')}${part('dryRun', 'yes')}--${boundary}--\r\n`,
      });
    const forged = await send('not the token');
    expect(forged.statusCode).toBe(403);
    // A file becomes an import job, followed on its own page (a worker runs it: none runs here).
    const checked = await send(csrfOf(page.body));
    expect(checked.statusCode).toBe(303);
    expect(checked.headers.location).toMatch(/^\/console\/members\/imports\/\d+$/);
    const progress = await campaigner.get(checked.headers.location as string);
    expect(progress.body).toContain('(a check: nothing is imported)');
    expect(progress.body).toContain('Waiting for a worker');
    expect(progress.body).not.toContain('7700900777');
  });
});

describe('the campaign page', () => {
  it('shows the letter and the targets as they will be sent, and how to embed the action', async () => {
    const page = await campaigner.get(`/console/campaigns/${campaignId}`);
    expect(page.body).toContain('<h2 id="letter">The letter</h2>');
    expect(page.body).toContain('<div class="letter">Release them.</div>');
    expect(page.body).toMatch(/<h3 id="target-sent-0">Prosecutor<\/h3>/);
    expect(page.body).toContain('<dt>Fax numbers</dt><dd>+74951234567</dd>');
    expect(page.body).toContain('<dt>Send by</dt><dd>Fax; e-mail when every fax number fails</dd>');
    expect(page.body).toContain('<h2 id="embed">Embed this action</h2>');
    expect(page.body).toContain(`${PUBLIC_BASE_URL}/act/DESK.json`);
    expect(page.body).toContain(`${PUBLIC_BASE_URL}/act/DESK/badge.svg`);
    expect(page.body).toContain(
      `&lt;a href=&quot;${PUBLIC_BASE_URL}/act/DESK&quot;&gt;&lt;img src=&quot;${PUBLIC_BASE_URL}/act/DESK/badge.svg&quot;`,
    );
  });
});

describe('the public page', () => {
  const get = (url: string, accept?: string) =>
    testApp.app.inject({ method: 'GET', url, headers: accept ? { accept } : {} });
  const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

  it('answers a browser with a page and a program with JSON, both 404 for an unknown keyword', async () => {
    const page = await get('/act/desk', BROWSER);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers.vary).toMatch(/accept/i);
    // The JSON and the badge are for staff (the console's "embed this action"), not offered to the public.
    expect(page.body).not.toContain('badge.svg');
    expect(page.body).not.toMatch(/<a [^>]*\.json/);
    const json = await get('/act/desk', 'application/json');
    expect(json.statusCode).toBe(200);
    expect(json.json()).toMatchObject({ keyword: 'DESK' });
    expect((await get('/act/DESK.json', BROWSER)).json()).toMatchObject({ keyword: 'DESK' });

    const mistyped = await get('/act/KALYAPN', BROWSER);
    expect(mistyped.statusCode).toBe(404);
    expect(mistyped.headers['content-type']).toMatch(/^text\/html/);
    expect(mistyped.body).toContain('<h1>No such action</h1>');
    expect(mistyped.body).toContain('<strong>KALYAPN</strong>');
    const hostile = await get('/act/%3Cscript%3E', BROWSER);
    expect(hostile.statusCode).toBe(404);
    expect(hostile.body).not.toContain('<script>');
    for (const [url, accept] of [
      ['/act/KALYAPN', 'application/json'],
      ['/act/KALYAPN.json', BROWSER],
    ] as const) {
      const refused = await get(url, accept);
      expect(refused.statusCode, url).toBe(404);
      expect(refused.json().error.code).toBe('not_found');
    }
  });

  it('serves an icon, so that no page draws a 404 for it', async () => {
    for (const url of ['/favicon.ico', '/favicon.svg']) {
      const icon = await get(url);
      expect(icon.statusCode, url).toBe(200);
      expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
      expect(icon.body).toContain('<svg');
    }
    expect((await get('/act/desk', BROWSER)).body).toContain('<link rel="icon" href="/favicon.svg"');
    expect((await campaigner.get('/console/campaigns')).body).toContain(
      '<link rel="icon" href="/favicon.svg"',
    );
  });
});

describe('the campaign form’s targets', () => {
  const form = {
    keyword: 'TARGETS',
    title: 'Targets',
    body: 'Letter',
    targetCount: '1',
    'target-0-name': 'First judge',
    'target-0-salutation': 'Dear Judge',
    'target-0-faxNumbers': '+74951234567',
    'target-0-channel': 'fax-then-email',
    'target-0-language': 'en',
    'target-0-timezone': 'Europe/Moscow',
  };

  it('are added and removed without JavaScript, nothing saved until Save', async () => {
    const added = await campaigner.submit('/console/campaigns/new', '/console/campaigns', {
      ...form,
      addTarget: '1',
    });
    expect(added.statusCode).toBe(200);
    expect(added.body).not.toContain('role="alert"');
    expect(added.body).toContain('name="targetCount" value="2"');
    expect(added.body).toContain('id="target-1-name" name="target-1-name" value=""');
    expect(added.body).toContain('value="First judge"');

    const second = {
      ...form,
      targetCount: '2',
      'target-1-name': 'Second judge',
      'target-1-salutation': 'Dear Judge',
      'target-1-faxNumbers': '+7495 987 58 41',
      'target-1-emails': 'judge@example.org',
      'target-1-channel': 'both',
      'target-1-language': 'ru',
      'target-1-timezone': 'Europe/Samara',
    };
    const removed = await campaigner.submit('/console/campaigns/new', '/console/campaigns', {
      ...second,
      removeTarget: '0',
    });
    expect(removed.statusCode).toBe(200);
    expect(removed.body).not.toContain('value="First judge"');
    expect(removed.body).toContain('id="target-0-name" name="target-0-name" value="Second judge"');

    const saved = await campaigner.submit('/console/campaigns/new', '/console/campaigns', {
      ...second,
      shortTitle: 'Two judges',
      translationLanguage: 'ru',
      translationSubject: 'Письмо',
      translationBody: 'Освободите их.',
      contactName: 'Campaign desk',
      contactEmail: 'desk@example.org',
    });
    expect(saved.statusCode).toBe(303);
    const id = Number(String(saved.headers.location).split('/').pop());
    const campaign = await campaignsService().get(id);
    expect(campaign.shortTitle).toBe('Two judges');
    expect(campaign.letter.translation).toEqual({
      language: 'ru',
      subject: 'Письмо',
      body: 'Освободите их.',
    });
    expect(campaign.contact).toEqual({ name: 'Campaign desk', email: 'desk@example.org' });
    expect(
      campaign.targets.map((t) => [t.name, t.faxNumbers, t.emails, t.channel, t.language, t.timezone]),
    ).toEqual([
      ['First judge', ['+74951234567'], [], 'fax-then-email', 'en', 'Europe/Moscow'],
      ['Second judge', ['+74959875841'], ['judge@example.org'], 'both', 'ru', 'Europe/Samara'],
    ]);
    const edit = await campaigner.get(`/console/campaigns/${id}/edit`);
    expect(edit.body).toContain('>Освободите их.</textarea>');
    expect(edit.body).toContain('value="desk@example.org"');
    expect(edit.body).toContain('name="targetCount" value="2"');
    const shown = await campaigner.get(`/console/campaigns/${id}`);
    expect(shown.body).toContain('<div class="letter" lang="ru">Освободите их.</div>');
    expect(shown.body).toContain('<dd>Russian (the translation first, then the original)</dd>');
  });
});
