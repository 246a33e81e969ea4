import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL, replyText, type TextFn } from '../helpers/phone.js';
import { columnsContaining, phoneForms } from './trace.js';

let database: TestDatabase;
let server: TestApp;
let text: TextFn;
let asCampaigner: ReturnType<typeof apiAs>;
let asViewer: ReturnType<typeof apiAs>;

const HEADER = 'number,name,consent_date,consent_source';
/** Every number this file puts in a CSV or texts from; none may be found in clear afterwards. */
const used = new Set<string>();

function csv(...rows: string[]): string {
  for (const row of rows) {
    const digits = /^[0-9+ ]+/.exec(row)?.[0].replaceAll(' ', '') ?? '';
    if (digits.length >= 10)
      used.add(digits.startsWith('+') ? digits : `+44${digits.replace(/^(44|0)/, '')}`);
  }
  return [HEADER, ...rows].join('\n');
}

function importCsv(body: string, query = '', as = asCampaigner) {
  return as({
    method: 'POST',
    url: `/api/v1/members/import${query}`,
    headers: { 'content-type': 'text/csv' },
    payload: body,
  });
}

async function supporterOf(number: string) {
  const index = createPhoneCrypto(server.config.phone).blindIndex(number);
  const { rows } = await database.pool.query('SELECT * FROM supporters WHERE phone_index = $1', [index]);
  return rows[0];
}

async function waitFor(condition: () => Promise<boolean>) {
  for (let i = 0; i < 200 && !(await condition()); i++)
    await new Promise((resolve) => setTimeout(resolve, 25));
}

async function count(table: string, where = 'true'): Promise<number> {
  const { rows } = await database.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`);
  return rows[0].n;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await openCampaign(database, {
    keyword: 'MAGAMED',
    title: 'Magamed Abubakarov',
    letter: { body: 'Please act.' },
    targets: [
      { name: 'Prosecutor General', salutation: 'Dear Prosecutor General', faxNumbers: ['+442079460111'] },
    ],
  });
  server = await startTestApp(database, { env: { PUBLIC_BASE_URL } });
  text = await listenForTexts(server);
  asCampaigner = apiAs(server.app, (await staffToken(database, 'campaigner')).token);
  asViewer = apiAs(server.app, (await staffToken(database, 'viewer')).token);
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

describe('POST /api/v1/members/import', () => {
  it('imports good rows, skips existing members and repeats, refuses bad rows by line and reason', async () => {
    for (const number of ['+447700900200', '+447700900201']) used.add(number);
    await text('+447700900200', 'JOIN Olive Existing');
    await text('+447700900200', 'STOP');
    await text('+447700900201', 'JOIN Ian Existing');

    const response = await importCsv(
      csv(
        '07700 900210,JANE IMPORTED,2024-03-01,street stall',
        '+447700900211,Omar Imported,01/03/2024,web form',
        '447700900212,,2024-03-01T10:00:00Z,event',
        '07700900200,Olive Again,2024-03-01,web',
        '07700 900201,Ian Again,2024-03-01,web',
        '+44 7700 900210,Jane Twice,2024-03-01,web',
        '12345,Bad Number,2024-03-01,web',
        '07700900213,R2D2 Droid,2024-03-01,web',
        '07700900214,No Date,,web',
        '07700900215,Future Date,2099-01-01,web',
        '07700900216,Fuck Face,2024-03-01,web',
      ),
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      imported: 4,
      skipped: 3,
      held: 1,
      refused: [
        { line: 8, reason: 'The number is not a phone number we can read.' },
        { line: 9, reason: 'The name contains digits.' },
        { line: 10, reason: 'The consent date is missing.' },
        { line: 11, reason: 'The consent date is in the future.' },
      ],
      dryRun: false,
    });

    expect(await supporterOf('+447700900210')).toMatchObject({
      name: 'Jane Imported',
      opted_in: true,
      consent_at: new Date('2024-03-01T00:00:00Z'),
      consent_terms: 'import',
      consent_message_sid: null,
      source: 'import:street stall',
    });
    expect(await supporterOf('+447700900211')).toMatchObject({
      name: 'Omar Imported',
      source: 'import:web form',
    });
    expect(await supporterOf('+447700900212')).toMatchObject({ name: null, opted_in: true });
    // Kept on file; held for review when they sign.
    expect(await supporterOf('+447700900216')).toMatchObject({ name: 'Fuck Face' });
    for (const absent of ['+447700900213', '+447700900214', '+447700900215']) {
      expect(await supporterOf(absent)).toBeUndefined();
    }
    // An existing member is left exactly as they were: someone who opted out is not opted back in.
    expect(await supporterOf('+447700900200')).toMatchObject({ name: 'Olive Existing', opted_in: false });
    expect(await supporterOf('+447700900201')).toMatchObject({ name: 'Ian Existing', opted_in: true });
    expect((await supporterOf('+447700900201')).consent_terms).not.toBe('import');

    const { rows: audit } = await database.pool.query(
      "SELECT after FROM audit_log WHERE action = 'members.import' ORDER BY id",
    );
    expect(audit.map((row) => row.after)).toEqual([{ imported: 4, skipped: 3, held: 1, refused: 4 }]);
  });

  it('makes a member of a number that only asked for help, keeping its opt-out', async () => {
    for (const number of ['+447700900280', '+447700900281']) used.add(number);
    await text('+447700900280', 'HELP');
    await text('+447700900281', 'hello');
    await text('+447700900281', 'STOP');
    expect((await supporterOf('+447700900280')).consent_at).toBeNull();
    const dry = await importCsv(
      csv('07700900280,Helen Helper,2024-03-01,web', '07700900281,Greta Greeter,2024-03-01,web'),
      '?dryRun=true',
    );
    expect(dry.json()).toMatchObject({ imported: 2, skipped: 0 });
    const response = await importCsv(
      csv('07700900280,Helen Helper,2024-03-01,web', '07700900281,Greta Greeter,2024-03-01,web'),
    );
    expect(response.json()).toMatchObject({ imported: 2, skipped: 0 });
    expect(await supporterOf('+447700900280')).toMatchObject({
      consent_at: new Date('2024-03-01T00:00:00Z'),
      consent_terms: 'import',
      source: 'import:web',
      opted_in: true,
    });
    expect(await supporterOf('+447700900281')).toMatchObject({ consent_terms: 'import', opted_in: false });
  });

  it('lets an imported member sign with the name on file, and asks one imported without a name', async () => {
    expect(replyText(await text('+447700900211', 'MAGAMED'))).toContain('Omar Imported');
    expect(replyText(await text('+447700900212', 'MAGAMED'))).toMatch(/reply with your full name/);
    expect(replyText(await text('+447700900216', 'MAGAMED'))).toContain('check your name');
  });

  it('validates and counts on a dry run without writing anything', async () => {
    const before = await Promise.all([count('supporters'), count('audit_log')]);
    const response = await importCsv(
      csv('07700900220,Dry Run,2024-03-01,web', '07700900210,Jane Again,2024-03-01,web', 'x,y,z,'),
      '?dryRun=true',
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      imported: 1,
      skipped: 1,
      held: 0,
      refused: [
        {
          line: 4,
          reason:
            'The number is not a phone number we can read; the name is too short (2 characters at least); ' +
            'the consent date is not a date (use YYYY-MM-DD or DD/MM/YYYY); the consent source is missing.',
        },
      ],
      dryRun: true,
    });
    expect(await Promise.all([count('supporters'), count('audit_log')])).toEqual(before);
    expect(await supporterOf('+447700900220')).toBeUndefined();
  });

  it('imports all or nothing: a failure in the last chunk rolls back the whole file, and logs no name', async () => {
    await database.pool.query(`
      CREATE FUNCTION fail_on_purpose() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.source = 'import:fail here' THEN RAISE EXCEPTION 'failing on purpose'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_on_purpose BEFORE INSERT ON supporters
        FOR EACH ROW EXECUTE FUNCTION fail_on_purpose();`);
    const rows = Array.from(
      { length: 1000 },
      (_, i) => `01632 960${String(i).padStart(3, '0')},Bulk Member,2024-03-01,web`,
    );
    rows.push('07700900230,Last Rowena,2024-03-01,fail here');
    const file = csv(...rows);
    const before = await Promise.all([count('supporters'), count('audit_log')]);

    const failed = await importCsv(file);
    expect(failed.statusCode).toBe(500);
    expect(await Promise.all([count('supporters'), count('audit_log')])).toEqual(before);
    expect(server.logs.text()).toContain('rolled back whole');
    expect(server.logs.text()).not.toContain('Bulk Member');
    expect(server.logs.text()).not.toContain('Last Rowena');

    await database.pool.query('DROP TRIGGER fail_on_purpose ON supporters');
    const retried = await importCsv(file);
    expect(retried.json()).toMatchObject({ imported: 1001, skipped: 0, refused: [] });
    expect(await count('supporters')).toBe(before[0] + 1001);
  });

  it('refuses a file without the required columns, and one too large, saying why', async () => {
    const noHeader = await importCsv('07700900240,Jane Smith,2024-03-01,web\n');
    expect(noHeader.statusCode).toBe(400);
    expect(noHeader.json().error.code).toBe('invalid_csv');
    expect(noHeader.body).not.toContain('07700900240');

    const tooMany = await importCsv(`number,consent_date,consent_source\n${',,\n'.repeat(200_001)}`);
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().error).toMatchObject({ code: 'too_many_rows' });
  });

  it('counts a number given twice once, its first good row standing', async () => {
    const response = await importCsv(
      csv(
        '07700900260,,,web',
        '07700900260,Later Good,2024-03-01,web',
        '07700900260,Later Still,2024-03-01,web',
      ),
    );
    expect(response.json()).toMatchObject({ imported: 1, skipped: 1, refused: [{ line: 2 }] });
    expect(await supporterOf('+447700900260')).toMatchObject({ name: 'Later Good' });
  });

  it('refuses a second import while one is running with 409, and takes it once that one is done', async () => {
    const first = new PassThrough();
    first.write(`${HEADER}\n07700900270,First File,2024-03-01,web\n`);
    const running = asCampaigner({
      method: 'POST',
      url: '/api/v1/members/import',
      headers: { 'content-type': 'text/csv' },
      payload: first,
    });
    // The first holds the import lock while its file is still arriving.
    await waitFor(async () => (await count('pg_locks', "locktype = 'advisory' AND objid = 70505002")) === 1);
    const second = await importCsv(csv('07700900271,Second File,2024-03-01,web'));
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('import_running');
    first.end('07700900272,First Again,2024-03-01,web\n');
    expect((await running).json()).toMatchObject({ imported: 2 });
    expect(await supporterOf('+447700900271')).toBeUndefined();
    expect((await importCsv(csv('07700900271,Second File,2024-03-01,web'))).json()).toMatchObject({
      imported: 1,
    });
  });

  it('refuses a file sent as anything but text/csv with 415', async () => {
    const json = await asCampaigner({ method: 'POST', url: '/api/v1/members/import', payload: { csv: 'x' } });
    expect(json.statusCode).toBe(415);
  });

  it('refuses a viewer and a request without a token', async () => {
    const file = csv('07700900250,Not Imported,2024-03-01,web');
    expect((await importCsv(file, '', asViewer)).statusCode).toBe(403);
    const anonymous = await server.app.inject({
      method: 'POST',
      url: '/api/v1/members/import',
      headers: { 'content-type': 'text/csv' },
      payload: file,
    });
    expect(anonymous.statusCode).toBe(401);
    expect(await supporterOf('+447700900250')).toBeUndefined();
  });

  it('never has an imported number in clear in a log line or in any column', async () => {
    expect(used.size).toBeGreaterThan(10);
    const forms = [...used].flatMap(phoneForms);
    const logs = server.logs.text();
    for (const form of forms) expect(logs).not.toContain(form);
    expect(await columnsContaining(database.pool, forms)).toEqual([]);
  });
});
