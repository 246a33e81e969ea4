import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignsService } from '../../src/campaigns/service.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL, replyText, type TextFn } from '../helpers/phone.js';

let database: TestDatabase;
let server: TestApp;
let text: TextFn;
let campaigner: { id: number; token: string };
let api: ReturnType<typeof apiAs>;
let viewerApi: ReturnType<typeof apiAs>;

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

let nextNumber = 100;
const phone = () => `+447700900${nextNumber++}`;

const target = {
  name: 'Yury Chaika',
  title: 'Prosecutor General',
  organisation: 'Prosecutor General’s Office of the Russian Federation',
  address: 'ul. B. Dmitrovka, d.15a\n125993 Moscow GSP-3',
  salutation: 'Dear Prosecutor General',
  faxNumbers: ['+442079460111', '+442079460112'],
};

function campaignBody(keyword: string, extra: Record<string, unknown> = {}) {
  return {
    keyword,
    title: `${keyword} urgent action`,
    letter: { subject: 'Death threats', body: 'We, the undersigned, urge you to act.' },
    targets: [target],
    closesAt: inDays(14),
    ...extra,
  };
}

async function createCampaign(keyword: string, extra: Record<string, unknown> = {}) {
  const response = await api({
    method: 'POST',
    url: '/api/v1/campaigns',
    payload: campaignBody(keyword, extra),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

async function auditRows(action: string, entityId: string) {
  const { rows } = await database.pool.query(
    'SELECT staff_id, before, after FROM audit_log WHERE action = $1 AND entity_id = $2 ORDER BY id',
    [action, entityId],
  );
  return rows;
}

async function outboxRows(campaignId: string) {
  const { rows } = await database.pool.query(
    "SELECT queue, job_name, payload FROM outbox WHERE payload->>'campaignId' = $1",
    [campaignId],
  );
  return rows;
}

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestApp(database, { env: { PUBLIC_BASE_URL } });
  text = await listenForTexts(server);
  campaigner = await staffToken(database, 'campaigner');
  api = apiAs(server.app, campaigner.token);
  viewerApi = apiAs(server.app, (await staffToken(database, 'viewer')).token);
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

describe('POST /api/v1/campaigns', () => {
  it('takes fax numbers as urgent actions print them, and answers with what it understood', async () => {
    const created = await createCampaign('PRINTED', {
      targets: [{ ...target, faxNumbers: ['+7499 265 90 77/ +7499 265 97 75', '+7 (495) 987-58-41'] }],
    });
    expect(created.targets[0].faxNumbers).toEqual(['+74992659077', '+74992659775', '+74959875841']);
  });

  it('reports every problem at once, each with its field, in details', async () => {
    const refused = await api({
      method: 'POST',
      url: '/api/v1/campaigns',
      payload: {
        keyword: 'stop',
        title: 'Every problem',
        letter: { body: 'Letter' },
        closesAt: '2020-01-01T00:00:00Z',
        targets: [
          { ...target, faxNumbers: ['+7499 265 90/ +7499 265 97 75', 'fax me'] },
          { ...target, faxNumbers: ['84959875841'] },
        ],
      },
    });
    expect(refused.statusCode).toBe(400);
    const { error } = refused.json();
    expect(error.code).toBe('reserved_keyword');
    expect(error.details.map((detail: { field: string }) => detail.field)).toEqual([
      'keyword',
      'targets[0].faxNumbers[0]',
      'targets[0].faxNumbers[1]',
      'targets[1].faxNumbers[0]',
      'closesAt',
    ]);
    expect(error.details[4].message).toMatch(
      /^closesAt must be in the future \(it is now \d{4}-\d\d-\d\dT[\d:.]+Z\)\.$/,
    );
  });

  it('creates a draft with its targets, keyword in upper case, and audits it', async () => {
    const closesAt = inDays(14);
    const created = await createCampaign('magamed', {
      reference: 'UA 37/13',
      closesAt,
      replies: { thanks: 'Thank you {name}!' },
      batchDailyAt: '10:00',
      batchThreshold: 500,
      targets: [
        target,
        { ...target, name: 'Second Target', faxNumbers: ['+74959876543'], timezone: 'Europe/London' },
      ],
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      keyword: 'MAGAMED',
      status: 'draft',
      reference: 'UA 37/13',
      letter: { subject: 'Death threats', body: 'We, the undersigned, urge you to act.' },
      replies: { thanks: 'Thank you {name}!' },
      closesAt: new Date(closesAt).toISOString(),
      openedAt: null,
      batchDailyAt: '10:00',
      batchThreshold: 500,
      signatureCount: 0,
      pendingFaxCount: 0,
    });
    expect(created.targets).toEqual([
      {
        id: expect.any(String),
        position: 0,
        ...target,
        emails: [],
        channel: 'fax-then-email',
        language: 'en',
        timezone: 'Europe/Moscow',
      },
      expect.objectContaining({ position: 1, faxNumbers: ['+74959876543'], timezone: 'Europe/London' }),
    ]);

    const read = await viewerApi({ method: 'GET', url: `/api/v1/campaigns/${created.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created);

    const [audit] = await auditRows('campaign.create', created.id);
    expect(audit.staff_id).toBe(String(campaigner.id));
    expect(audit.after).toMatchObject({ keyword: 'MAGAMED', targets: [{ name: 'Yury Chaika' }, {}] });
  });

  it('takes e-mail, channel and language per target, a short title, a contact and a translation', async () => {
    const created = await createCampaign('RUSSIAN', {
      shortTitle: 'Lawyer threatened',
      contact: { name: 'Jane Campaigner', email: 'jane@example.org' },
      letter: {
        subject: 'Death threats',
        body: 'We urge you to act.',
        translation: { language: 'ru', subject: 'Угрозы', body: 'Призываем вас действовать.' },
      },
      targets: [{ ...target, faxNumbers: [], emails: ['prosecutor@example.org'], language: 'ru' }],
    });
    expect(created).toMatchObject({
      shortTitle: 'Lawyer threatened',
      contact: { name: 'Jane Campaigner', email: 'jane@example.org' },
      letter: { translation: { language: 'ru', subject: 'Угрозы', body: 'Призываем вас действовать.' } },
      targets: [{ faxNumbers: [], emails: ['prosecutor@example.org'], channel: 'email', language: 'ru' }],
    });
    const refused = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${created.id}`,
      payload: { targets: [{ ...target, channel: 'both' }] },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatchObject({
      code: 'invalid_email',
      message: 'targets[0].emails must list at least one e-mail address for the channel both.',
    });
    const unknown = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${created.id}`,
      payload: { targets: [{ ...target, language: 'de' }] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBeDefined();
  });

  it.each([
    [
      'a keyword that is not one word',
      { keyword: 'MAGA MED' },
      'invalid_keyword',
      /one word of 3 to 20 letters/,
    ],
    ['a keyword too short', { keyword: 'UA' }, 'invalid_keyword', /3 to 20/],
    ['the reserved word STOP', { keyword: 'stop' }, 'reserved_keyword', /STOP is a reserved word/],
    ['a join keyword with a source code', { keyword: 'PROTEST15' }, 'reserved_keyword', /reserved word/],
    [
      'a bad fax number',
      { targets: [{ ...target, faxNumbers: ['+442079460111', '12345'] }] },
      'invalid_fax_number',
      /targets\[0\]\.faxNumbers\[1\]: "12345" is not a valid phone number/,
    ],
    [
      'a bad time zone',
      { targets: [{ ...target, timezone: 'Moscow/Kremlin' }] },
      'invalid_timezone',
      /targets\[0\]\.timezone: "Moscow\/Kremlin" is not an IANA time zone/,
    ],
    ['no targets', { targets: [] }, 'no_targets', /needs at least one target/],
    ['a deadline in the past', { closesAt: '2020-01-01T00:00:00Z' }, 'invalid_closes_at', /in the future/],
    ['an unknown placeholder', { replies: { thanks: 'Thanks {first}' } }, 'invalid_reply', /\{first\}/],
    ['a bad batch time', { batchDailyAt: '25:00' }, 'invalid_batch_time', /HH:MM/],
    ['a title over 200 characters', { title: 'x'.repeat(201) }, 'validation_failed', /title/],
    [
      'a letter over 20,000 characters',
      { letter: { body: 'x'.repeat(20_001) } },
      'validation_failed',
      /body/,
    ],
    [
      'a misspelt field',
      { targets: [{ ...target, faxNumber: '+442079460111' }] },
      'validation_failed',
      /targets/,
    ],
  ])('refuses %s with 400 and says why', async (_case, change, code, message) => {
    const response = await api({
      method: 'POST',
      url: '/api/v1/campaigns',
      payload: campaignBody('REFUSED', change),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe(code);
    expect(response.json().error.message).toMatch(message);
    // Every problem also comes with the field it is about.
    expect(response.json().error.details).toContainEqual({
      field: expect.any(String),
      message: expect.stringMatching(message),
    });
  });

  it('refuses a keyword already used by a campaign that is not closed (409), in any case', async () => {
    await createCampaign('ALAMOV');
    const again = await api({ method: 'POST', url: '/api/v1/campaigns', payload: campaignBody('alamov') });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toEqual({
      code: 'keyword_taken',
      message: 'The keyword ALAMOV is already used by a campaign that is not closed.',
    });
  });

  it('lets a closed campaign’s keyword be used again', async () => {
    const first = await createCampaign('REUSED');
    expect((await api({ method: 'POST', url: `/api/v1/campaigns/${first.id}/close` })).statusCode).toBe(200);
    const second = await createCampaign('REUSED');
    expect(second.id).not.toBe(first.id);
  });
});

describe('counts', () => {
  it('counts valid + held as signatures, and held, late, hidden and waiting names apart', async () => {
    const campaign = await createCampaign('COUNTED');
    await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/open` });
    const signers = [phone(), phone(), phone()];
    expect(replyText(await text(signers[0] as string, 'COUNTED Jane Smith'))).toContain('Jane Smith');
    await text(signers[1] as string, 'counted Peter Brown');
    await text(signers[2] as string, 'COUNTED Anna Ivanova');
    expect(replyText(await text(phone(), 'COUNTED Fuck Face'))).toContain('check your name');

    const { rows } = await database.pool.query(
      "SELECT id FROM signatures WHERE campaign_id = $1 AND status = 'valid' ORDER BY id",
      [campaign.id],
    );
    const hide = await api({ method: 'POST', url: `/api/v1/signatures/${rows[2].id}/hide` });
    expect(hide.statusCode).toBe(200);
    const batch = await database.pool.query(
      "INSERT INTO fax_batches (campaign_id, reason, signature_count) VALUES ($1, 'manual', 1) RETURNING id",
      [campaign.id],
    );
    await database.pool.query('UPDATE signatures SET batch_id = $1 WHERE id = $2', [
      batch.rows[0].id,
      rows[0].id,
    ]);
    await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/close` });
    expect(replyText(await text(phone(), 'COUNTED Late Comer'))).toMatch(/has closed/);

    const expected = { signatureCount: 3, heldCount: 1, lateCount: 1, hiddenCount: 1, pendingFaxCount: 1 };
    const read = await viewerApi({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}` });
    expect(read.json()).toMatchObject(expected);
    const list = await viewerApi({ method: 'GET', url: '/api/v1/campaigns?status=closed' });
    expect(list.json().items.find((item: { id: string }) => item.id === campaign.id)).toMatchObject(expected);
  });

  it('gives the dashboard each open campaign with its counts and its latest fax batch', async () => {
    const batched = await createCampaign('OVERSEEN');
    const unbatched = await createCampaign('UNSEEN');
    for (const { id } of [batched, unbatched])
      await api({ method: 'POST', url: `/api/v1/campaigns/${id}/open` });
    await text(phone(), 'OVERSEEN Jane Smith');
    await database.pool.query(
      `INSERT INTO fax_batches (campaign_id, reason, signature_count, status) VALUES ($1, 'manual', 4, 'delivered'),
        ($1, 'schedule', 7, 'pending')`,
      [batched.id],
    );
    const open = await server.app.services.campaigns.openOverview();
    const overseen = open.find((c) => c.id === Number(batched.id));
    expect(overseen).toMatchObject({
      keyword: 'OVERSEEN',
      signatureCount: 1,
      lastHour: 1,
      pendingFaxCount: 1,
    });
    expect(overseen?.closesAt).toBeInstanceOf(Date);
    expect(overseen?.lastBatch).toMatchObject({ status: 'pending', signatureCount: 7, completedAt: null });
    expect(overseen?.lastBatch?.createdAt).toBeInstanceOf(Date);
    expect(open.find((c) => c.id === Number(unbatched.id))?.lastBatch).toBeNull();
  });
});

describe('GET /api/v1/campaigns', () => {
  it('lists newest first in pages with a cursor, filtered by status', async () => {
    const ids: string[] = [];
    for (const keyword of ['PAGEONE', 'PAGETWO', 'PAGETHREE']) ids.push((await createCampaign(keyword)).id);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const response = await viewerApi({
        method: 'GET',
        url: `/api/v1/campaigns?limit=2&status=draft${query}`,
      });
      expect(response.statusCode).toBe(200);
      const page = response.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) {
        expect(item.status).toBe('draft');
        expect(item).toHaveProperty('signatureCount');
        seen.push(item.id);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.slice(0, 3)).toEqual([...ids].reverse());
    expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => b - a));
  });

  it('answers 404 for a campaign that does not exist and 400 for a forged cursor', async () => {
    const missing = await viewerApi({ method: 'GET', url: '/api/v1/campaigns/999999' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toEqual({ code: 'not_found', message: 'Campaign not found' });
    const forged = await viewerApi({ method: 'GET', url: '/api/v1/campaigns?cursor=bm90LWEtbnVtYmVy' });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.code).toBe('invalid_cursor');
  });
});

describe('open and close', () => {
  it('opens a draft, closes it with one last fax batch queued, and never reopens it', async () => {
    const campaign = await createCampaign('LIFECYCLE');
    const opened = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/open` });
    expect(opened.statusCode).toBe(200);
    expect(opened.json()).toMatchObject({ status: 'open', openedAt: expect.any(String), closedAt: null });
    expect((await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/open` })).json().status).toBe(
      'open',
    );
    expect(replyText(await text(phone(), 'LIFECYCLE Maria Petrova'))).toContain('Maria Petrova');
    expect(await outboxRows(campaign.id)).toEqual([]);

    const closed = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/close` });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({
      status: 'closed',
      closedAt: expect.any(String),
      pendingFaxCount: 1,
    });
    expect(await outboxRows(campaign.id)).toEqual([
      { queue: 'fax-render', job_name: 'close-batch', payload: { campaignId: Number(campaign.id) } },
    ]);
    expect((await auditRows('campaign.close', campaign.id))[0]).toMatchObject({
      staff_id: String(campaigner.id),
      before: { status: 'open' },
      after: { status: 'closed' },
    });

    const reopen = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/open` });
    expect(reopen.statusCode).toBe(409);
    expect(reopen.json().error).toMatchObject({ code: 'campaign_closed', message: /cannot be reopened/ });
    const closeAgain = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/close` });
    expect(closeAgain.statusCode).toBe(409);
    expect(replyText(await text(phone(), 'LIFECYCLE Ivan Sidorov'))).toMatch(/has closed/);
  });

  it('closes a draft without queueing a batch, since nobody could sign it', async () => {
    const campaign = await createCampaign('DRAFTCLOSE');
    expect((await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/close` })).statusCode).toBe(
      200,
    );
    expect(await outboxRows(campaign.id)).toEqual([]);
  });

  it('refuses to open a draft whose closesAt has passed', async () => {
    const campaign = await createCampaign('EXPIRED');
    await database.pool.query("UPDATE campaigns SET closes_at = now() - interval '1 hour' WHERE id = $1", [
      campaign.id,
    ]);
    const response = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/open` });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('closes_at_passed');
  });
});

describe('PATCH /api/v1/campaigns/:id', () => {
  it('changes the fields given, the keyword while a draft, and audits before and after', async () => {
    const campaign = await createCampaign('PATCHME');
    const response = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${campaign.id}`,
      payload: { keyword: 'patched', title: 'New title', closesAt: null, batchThreshold: 200 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      keyword: 'PATCHED',
      title: 'New title',
      closesAt: null,
      batchThreshold: 200,
      letter: campaign.letter,
      targets: campaign.targets,
    });
    const [audit] = await auditRows('campaign.update', campaign.id);
    expect(audit.before).toMatchObject({ keyword: 'PATCHME', title: 'PATCHME urgent action' });
    expect(audit.after).toMatchObject({ keyword: 'PATCHED', title: 'New title', batchThreshold: 200 });
  });

  it('fixes the keyword once open, and refuses a keyword in use', async () => {
    await createCampaign('TAKEN');
    const campaign = await createCampaign('LOCKED');
    const taken = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${campaign.id}`,
      payload: { keyword: 'TAKEN' },
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('keyword_taken');

    await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/open` });
    const locked = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${campaign.id}`,
      payload: { keyword: 'OTHER' },
    });
    expect(locked.statusCode).toBe(409);
    expect(locked.json().error.code).toBe('keyword_locked');
    const letter = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${campaign.id}`,
      payload: { letter: { body: 'A better letter.' } },
    });
    expect(letter.json()).toMatchObject({
      status: 'open',
      letter: { subject: null, body: 'A better letter.' },
    });
  });

  it('replaces the targets as a whole until a fax batch exists', async () => {
    const campaign = await createCampaign('TARGETS');
    const replaced = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${campaign.id}`,
      payload: {
        targets: [{ name: 'Head of Police', salutation: 'Dear Sir', faxNumbers: ['+442079460200'] }],
      },
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json().targets).toEqual([
      {
        id: expect.any(String),
        position: 0,
        name: 'Head of Police',
        title: null,
        organisation: null,
        address: null,
        salutation: 'Dear Sir',
        faxNumbers: ['+442079460200'],
        emails: [],
        channel: 'fax-then-email',
        language: 'en',
        timezone: 'Europe/Moscow',
      },
    ]);

    await database.pool.query(
      "INSERT INTO fax_batches (campaign_id, reason, signature_count) VALUES ($1, 'manual', 0)",
      [campaign.id],
    );
    const locked = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${campaign.id}`,
      payload: { targets: [target] },
    });
    expect(locked.statusCode).toBe(409);
    expect(locked.json().error.code).toBe('targets_locked');
    expect(
      (await viewerApi({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}` })).json().targets,
    ).toEqual(replaced.json().targets);
  });

  it('validates a change like a creation, and refuses an empty one or a closed campaign', async () => {
    const campaign = await createCampaign('CHANGES');
    const bad = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${campaign.id}`,
      payload: { targets: [{ ...target, faxNumbers: ['+4420'] }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_fax_number');
    const empty = await api({ method: 'PATCH', url: `/api/v1/campaigns/${campaign.id}`, payload: {} });
    expect(empty.statusCode).toBe(400);

    await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/close` });
    const closed = await api({
      method: 'PATCH',
      url: `/api/v1/campaigns/${campaign.id}`,
      payload: { title: 'Late' },
    });
    expect(closed.statusCode).toBe(409);
    expect(closed.json().error.code).toBe('campaign_closed');
  });
});

describe('closeExpired', () => {
  it('closes the open campaigns past their closesAt, each with a last batch and an audit row', async () => {
    const own = await createTestDatabase();
    try {
      let now = new Date('2026-11-22T10:00:00Z');
      const service = createCampaignsService({
        db: own.db,
        clock: () => now,
        faxBatches: faxBatchesOfCampaigns,
      });
      const make = async (keyword: string, closesAt: Date | null, open = true) => {
        const campaign = await service.create({
          keyword,
          title: keyword,
          letter: { body: 'Please act.' },
          targets: [target],
          closesAt,
        });
        if (open) await service.setStatus(campaign.id, 'open');
        return campaign.id;
      };
      const soon = await make('SOON', new Date('2026-11-23T10:00:00Z'));
      const later = await make('LATER', new Date('2026-12-01T10:00:00Z'));
      await make('NODEADLINE', null);
      await make('DRAFTED', new Date('2026-11-23T10:00:00Z'), false);

      expect(await service.closeExpired()).toBe(0);
      now = new Date('2026-11-23T10:00:00Z');
      expect(await service.closeExpired()).toBe(1);
      expect(await service.closeExpired()).toBe(0);

      const { rows } = await own.pool.query('SELECT keyword, status, closed_at FROM campaigns ORDER BY id');
      expect(rows.map((row) => [row.keyword, row.status])).toEqual([
        ['SOON', 'closed'],
        ['LATER', 'open'],
        ['NODEADLINE', 'open'],
        ['DRAFTED', 'draft'],
      ]);
      expect(rows[0].closed_at).toEqual(now);
      const outbox = await own.pool.query('SELECT queue, job_name, payload FROM outbox');
      expect(outbox.rows).toEqual([
        { queue: 'fax-render', job_name: 'close-batch', payload: { campaignId: soon } },
      ]);
      const audit = await own.pool.query(
        "SELECT staff_id, entity_id, before, after FROM audit_log WHERE action = 'campaign.auto-close'",
      );
      expect(audit.rows).toEqual([
        {
          staff_id: null,
          entity_id: String(soon),
          before: { status: 'open', closesAt: '2026-11-23T10:00:00.000Z' },
          after: { status: 'closed', closedAt: '2026-11-23T10:00:00.000Z' },
        },
      ]);

      now = new Date('2026-12-02T00:00:00Z');
      expect(await service.closeExpired()).toBe(1);
      expect((await service.get(later)).status).toBe('closed');
    } finally {
      await own.drop();
    }
  });
});

describe('roles', () => {
  it('lets a viewer read but not write (403)', async () => {
    const campaign = await createCampaign('VIEWED');
    expect((await viewerApi({ method: 'GET', url: '/api/v1/campaigns' })).statusCode).toBe(200);
    expect((await viewerApi({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}` })).statusCode).toBe(
      200,
    );
    for (const request of [
      { method: 'POST' as const, url: '/api/v1/campaigns', payload: campaignBody('VIEWERS') },
      { method: 'PATCH' as const, url: `/api/v1/campaigns/${campaign.id}`, payload: { title: 'No' } },
      { method: 'POST' as const, url: `/api/v1/campaigns/${campaign.id}/open` },
      { method: 'POST' as const, url: `/api/v1/campaigns/${campaign.id}/close` },
    ]) {
      const response = await viewerApi(request);
      expect(response.statusCode, request.url).toBe(403);
      expect(response.json().error.code).toBe('forbidden');
    }
    expect(
      (await viewerApi({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}` })).json(),
    ).toMatchObject({
      status: 'draft',
      title: 'VIEWED urgent action',
    });
  });

  it('refuses a request without a token (401)', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/v1/campaigns' });
    expect(response.statusCode).toBe(401);
  });
});
