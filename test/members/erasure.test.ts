import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignsService } from '../../src/campaigns/service.js';
import { faxBatchesOfCampaigns } from '../../src/fax/batches.js';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL, replyText, type TextFn } from '../helpers/phone.js';
import { columnsContaining, phoneForms } from './trace.js';

let database: TestDatabase;
let server: TestApp;
let text: TextFn;
let asAdmin: ReturnType<typeof apiAs>;
const ids: Record<string, number> = {};

const ERASED = '+447700900123';
const NAME = 'Zebedee Quartermaine';
const OTHER = '+447700900124';

function erase(phoneNumber: string, as = asAdmin) {
  return as({ method: 'POST', url: '/api/v1/supporters/erase', payload: { phoneNumber } });
}

async function supporterOf(number: string) {
  const index = createPhoneCrypto(server.config.phone).blindIndex(number);
  const { rows } = await database.pool.query('SELECT * FROM supporters WHERE phone_index = $1', [index]);
  return rows[0];
}

async function signaturesOf(supporterId: number) {
  const { rows } = await database.pool.query(
    `SELECT c.keyword, s.name, s.status, s.batch_id FROM signatures s JOIN campaigns c ON c.id = s.campaign_id
      WHERE s.supporter_id = $1 ORDER BY c.keyword`,
    [supporterId],
  );
  return rows;
}

beforeAll(async () => {
  database = await createTestDatabase();
  const campaigns = createCampaignsService({
    db: database.db,
    clock: () => new Date(),
    faxBatches: faxBatchesOfCampaigns,
  });
  for (const keyword of ['MAGAMED', 'FAXED', 'ALAMOV', 'NAMELESS']) {
    const campaign = await campaigns.create({
      keyword,
      title: `${keyword} action`,
      letter: { body: 'Please act.' },
      targets: [{ name: 'Prosecutor General', salutation: 'Dear Sir', faxNumbers: ['+442079460111'] }],
    });
    await campaigns.setStatus(campaign.id, 'open');
    ids[keyword] = campaign.id;
  }
  server = await startTestApp(database, { env: { PUBLIC_BASE_URL } });
  text = await listenForTexts(server);
  asAdmin = apiAs(server.app, (await staffToken(database, 'admin')).token);

  // The supporter signs three actions by text; one signature goes out in a fax, one action closes.
  expect(replyText(await text(ERASED, `FAXED ${NAME}`))).toContain(NAME);
  expect(replyText(await text(OTHER, 'FAXED Olga Sokolova'))).toContain('Olga Sokolova');
  const { rows } = await database.pool.query(
    `INSERT INTO fax_batches (campaign_id, reason, signature_count, status) VALUES ($1, 'manual', 2, 'delivered')
     RETURNING id`,
    [ids.FAXED],
  );
  await database.pool.query('UPDATE signatures SET batch_id = $1 WHERE campaign_id = $2', [
    rows[0].id,
    ids.FAXED,
  ]);
  expect(replyText(await text(ERASED, 'MAGAMED'))).toContain(NAME);
  await text(OTHER, 'MAGAMED Olga Sokolova');
  await campaigns.setStatus(ids.ALAMOV as number, 'closed');
  expect(replyText(await text(ERASED, 'ALAMOV'))).toMatch(/has closed/);
  // Supporters write anything in a text, their number and name included.
  await text(ERASED, `Hello, this is ${NAME} on 07700900123`);
  // A text spooled while Postgres was away had its reply sent as an outbound text, thanking by name.
  await database.pool.query(
    `INSERT INTO outbound_messages (supporter_id, body, segments, in_reply_to, status)
     SELECT supporter_id, 'Thank you, ' || name, 1, 'SMerasurespooled0001', 'sent' FROM signatures
      WHERE name = $1 LIMIT 1`,
    [NAME],
  );
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

describe('POST /api/v1/supporters/erase', () => {
  it('refuses a campaigner, a viewer and a request without a token', async () => {
    for (const role of ['campaigner', 'viewer'] as const) {
      const as = apiAs(server.app, (await staffToken(database, role)).token);
      expect((await erase(ERASED, as)).statusCode).toBe(403);
    }
    const anonymous = await server.app.inject({
      method: 'POST',
      url: '/api/v1/supporters/erase',
      payload: { phoneNumber: ERASED },
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await supporterOf(ERASED)).name).toBe(NAME);
  });

  it('erases the number and the name from every row, hiding the signatures not yet faxed', async () => {
    const supporter = await supporterOf(ERASED);
    const messagesBefore = await database.pool.query('SELECT count(*)::int AS n FROM inbound_messages');
    expect(await columnsContaining(database.pool, [NAME])).not.toEqual([]);

    // The number as staff might type it.
    const response = await erase('07700 900123');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      erased: true,
      supporterId: String(supporter.id),
      signaturesRemoved: 1,
    });

    expect(await signaturesOf(supporter.id)).toEqual([
      { keyword: 'ALAMOV', name: null, status: 'late', batch_id: null },
      { keyword: 'FAXED', name: null, status: 'hidden', batch_id: expect.any(String) },
      { keyword: 'MAGAMED', name: null, status: 'hidden', batch_id: null },
    ]);
    const { rows } = await database.pool.query('SELECT * FROM supporters WHERE id = $1', [supporter.id]);
    expect(rows[0]).toMatchObject({
      phone_ciphertext: null,
      phone_index: null,
      name: null,
      opted_in: false,
      pending_campaign_id: null,
    });
    expect(rows[0].erased_at).toBeInstanceOf(Date);
    // The texts stay as rows (counts), without their bodies or the replies that named them.
    const { rows: messages } = await database.pool.query(
      'SELECT body, reply FROM inbound_messages WHERE supporter_id = $1',
      [supporter.id],
    );
    expect(messages).toHaveLength(4);
    expect(messages.every((m) => m.body === null && m.reply === '')).toBe(true);
    expect((await database.pool.query('SELECT count(*)::int AS n FROM inbound_messages')).rows).toEqual(
      messagesBefore.rows,
    );

    const { rows: audit } = await database.pool.query(
      "SELECT entity_id, after FROM audit_log WHERE action = 'supporter.erase' ORDER BY id LIMIT 1",
    );
    expect(audit).toEqual([
      { entity_id: String(supporter.id), after: { signaturesRemoved: 1, messagesCleared: 4 } },
    ]);
  });

  it('ends a dialogue waiting for a name', async () => {
    const waiting = '+447700900125';
    expect(replyText(await text(waiting, 'NAMELESS'))).toMatch(/reply with your full name/);
    const { id } = await supporterOf(waiting);
    expect((await erase(waiting)).json()).toMatchObject({ erased: true, signaturesRemoved: 0 });
    const { rows } = await database.pool.query('SELECT * FROM supporters WHERE id = $1', [id]);
    expect(rows[0]).toMatchObject({ pending_campaign_id: null, pending_attempts: 0, phone_index: null });
  });

  it('leaves no trace of the number, in any format, or of the name in any column or log line', async () => {
    const needles = [
      ...phoneForms(ERASED),
      ...phoneForms('+447700900125'),
      '07700 900123',
      NAME,
      'Quartermaine',
    ];
    expect(await columnsContaining(database.pool, needles)).toEqual([]);
    const logs = server.logs.text();
    for (const needle of needles) expect(logs).not.toContain(needle);
  });

  it('leaves the other supporters as they were', async () => {
    const other = await supporterOf(OTHER);
    expect(other).toMatchObject({ name: 'Olga Sokolova', opted_in: true, erased_at: null });
    expect((await signaturesOf(other.id)).map((s) => [s.keyword, s.name, s.status])).toEqual([
      ['FAXED', 'Olga Sokolova', 'valid'],
      ['MAGAMED', 'Olga Sokolova', 'valid'],
    ]);
    const { rows } = await database.pool.query(
      'SELECT count(*)::int AS n FROM inbound_messages WHERE supporter_id = $1 AND body IS NOT NULL',
      [other.id],
    );
    expect(rows[0].n).toBe(2);
  });

  it('answers 404 to a second erasure, without echoing the number', async () => {
    const again = await erase(ERASED);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual({ error: { code: 'not_found', message: 'Supporter not found' } });
    expect((await erase('+447700900999')).statusCode).toBe(404);
    const invalid = await erase('call me');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('invalid_phone');
  });

  it('treats the number as a stranger when it texts again', async () => {
    expect(replyText(await text(ERASED, 'NAMELESS'))).toMatch(/reply with your full name/);
    expect(await supporterOf(ERASED)).toMatchObject({
      name: null,
      erased_at: null,
      pending_campaign_id: String(ids.NAMELESS),
    });
  });
});
