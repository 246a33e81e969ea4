import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { PUBLIC_BASE_URL } from '../helpers/phone.js';
import { createSupportersForTest } from './members.js';
import { ConsoleClient, consoleStaff, csrfOf, PASSWORD } from './session.js';

let database: TestDatabase;
let testApp: TestApp;
let client: ConsoleClient;
let campaignId: number;
let updatesUrl: string;

async function broadcastRows() {
  const { rows } = await database.pool.query('SELECT id, body, audience, total FROM broadcasts ORDER BY id');
  return rows;
}

/** The confirm page for a draft, as the compose form posts it (smart encoding ticked unless said). */
async function preview(body: string, audience: string, smartEncoding = true) {
  const form: Record<string, string> = { body, audience, smartEncoding: smartEncoding ? 'on' : 'off' };
  return client.submit(updatesUrl, `${updatesUrl}/preview`, form);
}

/** Posts the confirm page's own form, hidden fields and all, with what staff type or tick. */
async function confirm(page: string, typed: Record<string, string>) {
  const hidden = Object.fromEntries(
    [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1],
      (m[2] ?? '').replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&'),
    ]),
  );
  return client.post(updatesUrl, { ...hidden, _csrf: csrfOf(page), ...typed });
}

beforeAll(async () => {
  database = await createTestDatabase();
  // Above 3 people, the size is typed.
  testApp = await startTestApp(database, {
    env: { PUBLIC_BASE_URL, BROADCAST_CONFIRM_ABOVE: '3', SMS_QUIET_HOURS: 'off' },
  });
  const campaign = await openCampaign(database, {
    keyword: 'DESK',
    title: 'Free the desk',
    letter: { body: 'Release them.' },
    targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+74951234567'] }],
    closesAt: new Date(Date.now() + (2 * 24 + 5) * 3_600_000 + 60_000),
  });
  campaignId = campaign.id;
  updatesUrl = `/console/campaigns/${campaignId}/updates`;
  const members = await createSupportersForTest(database, testApp.config, 5);
  await database.pool.query(
    "INSERT INTO signatures (campaign_id, supporter_id, name, status) VALUES ($1, $2, 'Jane Smith', 'valid')",
    [campaignId, members[0]],
  );
  const { email } = await consoleStaff(database, 'campaigner');
  client = new ConsoleClient(testApp.app);
  const signedIn = await client.signIn(email, PASSWORD);
  expect(signedIn.headers.location).toBe('/console');
});
afterAll(async () => {
  await testApp?.close();
  await database?.drop();
});

describe('texting from the console, without JavaScript', () => {
  it('sends nothing from the compose form: it shows the confirm step with the text as it will arrive', async () => {
    const compose = await client.get(updatesUrl);
    expect(compose.body).toContain('Preview and confirm');
    const page = await preview('We’re at the court today…', 'network');
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/This text goes to <strong data-confirm="audience">5 people<\/strong>/);
    expect(page.body).toContain('<strong data-confirm="segments">1 segment</strong>');
    expect(page.body).toContain('<strong data-confirm="encoding">GSM-7</strong>');
    // 5 people × 1 segment × 0.04
    expect(page.body).toContain('<strong data-confirm="cost">£0.20</strong>');
    expect(page.body).toContain(
      '<div class="sms-preview" data-confirm="text">We&#39;re at the court today...\nText STOP AMNESTY to opt out</div>',
    );
    expect(page.body).toContain('Smart encoding replaced ’ → &#39;, … → ...');
    expect(page.body).toContain('Type the number of people it goes to (5) to confirm');
    expect(await broadcastRows()).toEqual([]);

    const unicode = await preview('We’re at the court today', 'network', false);
    expect(unicode.body).toContain('<strong data-confirm="encoding">UCS-2</strong>');
    expect(unicode.body).toContain('Smart encoding is off.');
  });

  it('sends only once the audience size is typed, within 10%', async () => {
    const page = await preview('We’re at the court today', 'network');
    const blank = await confirm(page.body, { confirm: '' });
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toContain('Type the number of people, in digits.');
    const wrong = await confirm(page.body, { confirm: '3' });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.body).toContain(
      'You confirmed 3 people, but the audience is now 5: confirm the new number.',
    );
    expect(wrong.body).toContain('value="3"');
    expect(await broadcastRows()).toEqual([]);

    const sent = await confirm(page.body, { confirm: '5' });
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toMatch(/^\/console\/broadcasts\/\d+$/);
    expect(await broadcastRows()).toEqual([
      expect.objectContaining({
        body: "We're at the court today\nText STOP AMNESTY to opt out",
        audience: 'network',
        total: 5,
      }),
    ]);
    const broadcast = await client.get(String(sent.headers.location));
    expect(broadcast.body).toContain('We&#39;re at the court today\nText STOP AMNESTY to opt out</div>');
    expect(broadcast.body).toContain(
      'Handled <span data-field="handled">0</span> of <span data-field="total">5</span>',
    );
  });

  it('asks again before the same text goes to the same people within the hour', async () => {
    const page = await preview('We’re at the court today', 'network');
    expect(page.body).toContain('The same text went to the same people at');
    const unticked = await confirm(page.body, { confirm: '5' });
    expect(unticked.statusCode).toBe(409);
    expect(unticked.body).toContain('Tick the box to send the same text again.');
    expect(await broadcastRows()).toHaveLength(1);
    const ticked = await confirm(page.body, { confirm: '5', confirmRepeat: 'yes' });
    expect(ticked.statusCode).toBe(303);
    expect(await broadcastRows()).toHaveLength(2);
  });

  it('needs no typed size for a small audience, and keeps the text when staff go back to change it', async () => {
    const page = await preview('Thank you, Jane’s name went today', 'signers');
    expect(page.body).toContain('This text goes to <strong data-confirm="audience">1 person</strong>');
    expect(page.body).toContain('<input type="hidden" name="confirm" value="1">');
    expect(page.body).toContain('Send to 1 person');
    const edit = await client.post(`${updatesUrl}/edit`, {
      _csrf: csrfOf(page.body),
      body: 'Thank you, Jane’s name went today',
      audience: 'signers',
      smartEncoding: 'off',
    });
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('>Thank you, Jane’s name went today</textarea>');
    expect(edit.body).toContain('name="smartEncoding" value="on" >');
    expect(edit.body).not.toContain('name="smartEncoding" value="on" checked');
    expect(edit.body).toMatch(/value="signers" checked/);
    const sent = await confirm(page.body, {});
    expect(sent.statusCode).toBe(303);
  });

  it('answers a draft without an audience with the form and its problem', async () => {
    const refused = await preview('Hello', '');
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Choose who to send it to.');
    expect(refused.body).toContain('>Hello</textarea>');
  });
});

describe('the broadcast page', () => {
  it('groups failures by Twilio error code with what each means', async () => {
    const [first] = await broadcastRows();
    const { rows: members } = await database.pool.query('SELECT id FROM supporters ORDER BY id LIMIT 3');
    for (const [i, member] of members.entries()) {
      await database.pool.query(
        `INSERT INTO outbound_messages (broadcast_id, supporter_id, segments, status, error_code)
         VALUES ($1, $2, 1, 'failed', $3)`,
        [first.id, member.id, i === 0 ? 21211 : 30007],
      );
    }
    const page = await client.get(`/console/broadcasts/${first.id}`);
    expect(page.body).toMatch(
      />30007<\/a><\/td><td data-label="What it means">Filtered as spam by the network<\/td><td data-label="Texts">2</,
    );
    expect(page.body).toMatch(
      />21211<\/a><\/td><td data-label="What it means">Not a valid phone number<\/td><td data-label="Texts">1</,
    );
    const live = await client.get(`/console/broadcasts/${first.id}/live.json`);
    expect(live.json().fields).toMatchObject({ failed: 3, handled: 3 });
    expect(live.json().html.failures).toContain('Filtered as spam');
  });
});

describe('the dashboard', () => {
  it('shows every open action with its counts, deadline, fax and what is stuck', async () => {
    const page = await client.get('/console');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Dashboard</h1>');
    expect(page.body).toContain(`<a href="/console/campaigns/${campaignId}">Free the desk</a>`);
    expect(page.body).toContain(`<strong data-field="signatures-${campaignId}">1</strong>names`);
    expect(page.body).toContain(`<strong data-field="lastHour-${campaignId}">1</strong>in the last hour`);
    expect(page.body).toContain(
      `<strong data-field="pendingFax-${campaignId}">1</strong>waiting for the fax`,
    );
    expect(page.body).toContain(`data-field="deadline-${campaignId}">2 d 5 h</span>`);
    expect(page.body).toContain(`<span data-field="fax-${campaignId}">none yet</span>`);
    // The updates made above are queued (no workers run here): they show as going out.
    expect(page.body).toMatch(/Update \d+<\/a> \(Free the desk\): queued, 3 of 5 handled/);
    expect(page.body).toMatch(/Update \d+<\/a> \(Free the desk\): queued, 0 of 1 handled/);
    expect(page.body).toMatch(/Nothing is stuck|stuck:/);
    const live = await client.get('/console/dashboard.json');
    expect(live.json().fields).toMatchObject({ [`signatures-${campaignId}`]: 1 });
  });
});

describe('a waiting or cancelled update', () => {
  it('says why and until when it waits, and lets staff reschedule it or send it now', async () => {
    const [, row] = await broadcastRows();
    await database.pool.query(
      "UPDATE broadcasts SET status = 'waiting', send_after = now() + interval '2 hours' WHERE id = $1",
      [row.id],
    );
    const url = `/console/broadcasts/${row.id}`;
    const page = await client.get(url);
    expect(page.body).toMatch(/<p id="waiting-reason">Rescheduled: goes out at \d\d:\d\d/);
    expect(page.body).toContain('Send now anyway');
    const past = await client.post(`${url}/reschedule`, {
      _csrf: csrfOf(page.body),
      sendAt: '2020-01-01T09:00',
    });
    expect(past.statusCode).toBe(400);
    expect(past.body).toContain('Choose a time in the future.');
    const sent = await client.post(`${url}/send-now`, { _csrf: csrfOf(page.body) });
    expect(sent.statusCode).toBe(303);
    const after = await client.get(url);
    expect(after.body).not.toContain('id="waiting-reason"');
    const { rows } = await database.pool.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'broadcast.send-now' AND entity_id = $1",
      [row.id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('says what a cancelled update sent and did not', async () => {
    const rows = await broadcastRows();
    const last = rows.at(-1);
    const url = `/console/broadcasts/${last.id}`;
    const page = await client.get(url);
    expect((await client.post(`${url}/cancel`, { _csrf: csrfOf(page.body) })).statusCode).toBe(303);
    const cancelled = await client.get(url);
    expect(cancelled.body).toContain(
      `Cancelled after 0 of ${last.total}: 0 texts went out, ${last.total === 1 ? '1 was' : `${last.total} were`} not sent.`,
    );
    expect(cancelled.body).toContain('The text (not sent)');
  });

  it('says in quiet hours when the update will go out, and offers to send it now anyway', async () => {
    const night = await startTestApp(database, {
      env: { PUBLIC_BASE_URL, SMS_QUIET_HOURS: '21:00-08:00' },
      clock: () => new Date('2026-01-15T04:01:00Z'),
    });
    try {
      const { email } = await consoleStaff(database, 'campaigner');
      const nightClient = new ConsoleClient(night.app);
      await nightClient.signIn(email, PASSWORD);
      const page = await nightClient.submit(updatesUrl, `${updatesUrl}/preview`, {
        body: 'Night owls: sign now',
        audience: 'signers',
        smartEncoding: 'on',
      });
      expect(page.body).toContain(
        '<p class="problem" id="quiet-hours">Quiet hours until 08:00: goes out at 08:00 (Europe/London time).</p>',
      );
      expect(page.body).toContain('Send now anyway, ignoring quiet hours');
      const hidden = Object.fromEntries(
        [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
          m[1],
          m[2],
        ]),
      );
      const sent = await nightClient.post(updatesUrl, {
        ...hidden,
        _csrf: csrfOf(page.body),
        ignoreQuietHours: 'yes',
      });
      expect(sent.statusCode).toBe(303);
      const { rows } = await database.pool.query(
        "SELECT status, ignores_quiet_hours FROM broadcasts WHERE body LIKE 'Night owls%'",
      );
      expect(rows).toEqual([{ status: 'queued', ignores_quiet_hours: true }]);
    } finally {
      await night.close();
    }
  });
});
