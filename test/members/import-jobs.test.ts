import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createImportJobsService } from '../../src/members/imports.js';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { columnsContaining, phoneForms } from './trace.js';

let database: TestDatabase;
let server: TestApp;
let workers: TestWorkers | undefined;
let asCampaigner: ReturnType<typeof apiAs>;
let asViewer: ReturnType<typeof apiAs>;
const queuePrefix = `{${uniqueQueuePrefix()}}`;

const HEADER = 'number,name,consent_date,consent_source';
const used = new Set<string>();

function csv(...rows: string[]): string {
  for (const row of rows) {
    const digits = /^[0-9+ ]+/.exec(row)?.[0].replaceAll(' ', '') ?? '';
    if (digits.length >= 10)
      used.add(digits.startsWith('+') ? digits : `+44${digits.replace(/^(44|0)/, '')}`);
  }
  return [HEADER, ...rows].join('\n');
}

function startImport(body: string | PassThrough, query = '', as = asCampaigner) {
  return as({
    method: 'POST',
    url: `/api/v1/members/imports${query}`,
    headers: { 'content-type': 'text/csv' },
    payload: body,
  });
}

const progressOf = async (id: string) =>
  (await asViewer({ method: 'GET', url: `/api/v1/members/imports/${id}` })).json();

/** Polls the job until it is over. */
const finishedJob = (id: string) =>
  waitFor(async () => {
    const job = await progressOf(id);
    return ['done', 'failed'].includes(job.status) ? job : null;
  }, `import ${id} to finish`);

async function count(table: string, where = 'true'): Promise<number> {
  const { rows } = await database.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`);
  return rows[0].n;
}

async function supporterOf(number: string) {
  const index = createPhoneCrypto(server.config.phone).blindIndex(number);
  const { rows } = await database.pool.query('SELECT * FROM supporters WHERE phone_index = $1', [index]);
  return rows[0];
}

/** The import jobs service on the test's database, called by hand, with limits of the test's own. */
const importJobsService = (limits: { uploadStalledMs?: number; maxRows?: number }) =>
  createImportJobsService({
    db: database.db,
    pool: database.pool,
    clock: () => new Date(),
    phoneKeys: server.config.phone,
    ...limits,
  });

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestApp(database, { env: { QUEUE_PREFIX: queuePrefix } });
  asCampaigner = apiAs(server.app, (await staffToken(database, 'campaigner')).token);
  asViewer = apiAs(server.app, (await staffToken(database, 'viewer')).token);
});

afterAll(async () => {
  await workers?.close();
  await server?.close();
  await database?.drop();
});

describe('POST /api/v1/members/imports', () => {
  it('takes the file at once (202), keeps one import at a time (409), and imports it once a worker runs', async () => {
    const accepted = await startImport(
      csv(
        '07700 900310,JANE JOBBED,2024-03-01,street stall',
        '+447700900311,Omar Jobbed,01/03/2024,web form',
        '447700900312,,2024-03-01T10:00:00Z,event',
        '+44 7700 900310,Jane Twice,2024-03-01,web',
        '12345,Bad Number,2024-03-01,web',
        '"07700900313","R2D2\nDroid",2024-03-01,web',
        '07700900314,No Date,,web',
        '07700900316,Fuck Face,2024-03-01,web',
      ),
    );
    expect(accepted.statusCode).toBe(202);
    const { id, status } = accepted.json();
    expect(status).toBe('queued');
    expect(await progressOf(id)).toMatchObject({
      id,
      status: 'queued',
      rows: 8,
      processed: 0,
      dryRun: false,
    });

    // No worker yet: it waits, and nothing else may start, the synchronous import included.
    const second = await startImport(csv('07700900320,Second File,2024-03-01,web'));
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('import_running');
    const synchronous = await asCampaigner({
      method: 'POST',
      url: '/api/v1/members/import',
      headers: { 'content-type': 'text/csv' },
      payload: csv('07700900320,Second File,2024-03-01,web'),
    });
    expect(synchronous.statusCode).toBe(409);

    workers = await startTestWorkers(database, { env: { QUEUE_PREFIX: queuePrefix }, queuePrefix });
    const job = await finishedJob(id);
    expect(job).toMatchObject({
      status: 'done',
      rows: 8,
      processed: 8,
      imported: 4,
      skipped: 1,
      held: 1,
      refusedCount: 3,
      refused: [
        { line: 6, reason: 'The number is not a phone number we can read.' },
        { line: 7, reason: 'The name contains digits.' },
        { line: 9, reason: 'The consent date is missing.' },
      ],
    });
    expect(job.error).toBeUndefined();
    expect(await supporterOf('+447700900310')).toMatchObject({
      name: 'Jane Jobbed',
      opted_in: true,
      consent_terms: 'import',
      source: 'import:street stall',
    });
    expect(await supporterOf('+447700900316')).toMatchObject({ name: 'Fuck Face', name_cleared_under: null });
    expect(await supporterOf('+447700900313')).toBeUndefined();
    // The staged file is gone once imported.
    expect(await count('member_import_rows')).toBe(0);
    expect(await count('member_import_checked')).toBe(0);

    const { rows: audit } = await database.pool.query(
      "SELECT action, after FROM audit_log WHERE entity_type = 'member_import' ORDER BY id",
    );
    expect(audit).toEqual([
      { action: 'members.import.start', after: { rows: 8, dryRun: false } },
      { action: 'members.import', after: { imported: 4, skipped: 1, held: 1, refused: 3 } },
    ]);

    const next = await startImport(csv('07700900320,Second File,2024-03-01,web'));
    expect(next.statusCode).toBe(202);
    expect(await finishedJob(next.json().id)).toMatchObject({ status: 'done', imported: 1 });
  });

  it('checks the rows already stored while the rest of the file still arrives', async () => {
    // Numbers of the 01632 960 drama range with a name each; a part is stored per 20,000 rows.
    const rowsOf = (from: number, count: number) =>
      Array.from(
        { length: count },
        (_, i) => `01632 96${String(from + i).padStart(4, '0')}${i % 10},Early Bird,2024-03-01,web`,
      ).join('\n');
    const body = new PassThrough();
    body.write(`${HEADER}\n${rowsOf(0, 25_000)}\n`);
    const response = startImport(body);
    let settled = false;
    void response.finally(() => {
      settled = true;
    });
    const id = await waitFor(async () => {
      const { rows } = await database.pool.query(
        "SELECT id, processed FROM member_imports WHERE uploading AND status = 'running'",
      );
      return rows[0]?.processed > 0 ? String(rows[0].id) : null;
    }, 'a worker to check rows while the file arrives');
    // The client has not finished sending: no answer yet.
    expect(settled).toBe(false);

    body.end(`${rowsOf(25_000, 100)}\n`);
    const accepted = await response;
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json().id).toBe(id);
    expect(await finishedJob(id)).toMatchObject({ status: 'done', rows: 25_100, processed: 25_100 });
    expect(await count('member_import_rows')).toBe(0);
  });

  it('keeps nothing of a file cut off on the way, though a worker had checked part of it', async () => {
    const before = { jobs: await count('member_imports'), members: await count('supporters') };
    const body = new PassThrough();
    body.write(
      `${HEADER}\n${Array.from({ length: 21_000 }, (_, i) => `01632 97${String(i).padStart(5, '0')},Cut Off,2024-03-01,web`).join('\n')}\n`,
    );
    const response = startImport(body);
    await waitFor(async () => {
      const { rows } = await database.pool.query('SELECT processed FROM member_imports WHERE uploading');
      return rows[0]?.processed > 0;
    }, 'a worker to check the first part');
    body.destroy(new Error('the connection was cut'));
    await response.catch(() => {});
    await waitFor(
      async () => (await count('member_imports')) === before.jobs,
      'the cut-off job to be forgotten',
    );
    expect(await count('supporters')).toBe(before.members);
    expect(await count('member_import_rows')).toBe(0);
    expect(await count('member_import_checked')).toBe(0);
    const next = await startImport(csv('07700900390,After Cut,2024-03-01,web'));
    expect(next.statusCode).toBe(202);
    expect(await finishedJob(next.json().id)).toMatchObject({ status: 'done', imported: 1 });
  });

  it('fails an import whose file stopped arriving (its web process died), importing nothing', async () => {
    // This service's worker part is called by hand, alone.
    await workers?.close();
    const imports = importJobsService({ uploadStalledMs: 300 });
    // A file whose first part is stored and whose rest never comes: the upload hangs as a dead
    // process's would.
    let hang: (error: Error) => void = () => {};
    async function* stalled() {
      yield `${HEADER}\n`;
      for (let i = 0; i < 20_001; i++)
        yield `01632 98${String(i).padStart(5, '0')},Never Done,2024-03-01,web\n`;
      await new Promise((_, reject) => {
        hang = reject;
      });
    }
    const upload = imports.start(stalled(), { dryRun: false, staffId: 1 }).catch((error: unknown) => error);
    const id = await waitFor(async () => {
      const { rows } = await database.pool.query(
        'SELECT id FROM member_imports WHERE uploading AND rows > 0',
      );
      return rows[0]?.id as number | undefined;
    }, 'the first part to be stored');
    const before = await count('supporters');
    await imports.run(id);
    expect(await progressOf(String(id))).toMatchObject({ status: 'failed', processed: 20_000 });
    expect((await progressOf(String(id))).error).toMatch(/stopped arriving before its end/);
    expect(await count('supporters')).toBe(before);
    hang(new Error('the process is gone'));
    await upload;
    workers = await startTestWorkers(database, { env: { QUEUE_PREFIX: queuePrefix }, queuePrefix });
  });

  it('checks and counts on a dry run without changing any member', async () => {
    const before = await count('supporters');
    const accepted = await startImport(
      csv('07700900330,Dry Run,2024-03-01,web', '07700900310,Jane Again,2024-03-01,web', 'x,y,z,'),
      '?dryRun=true',
    );
    expect(accepted.statusCode).toBe(202);
    expect(await finishedJob(accepted.json().id)).toMatchObject({
      status: 'done',
      dryRun: true,
      imported: 1,
      skipped: 1,
      refused: [{ line: 4 }],
    });
    expect(await count('supporters')).toBe(before);
    expect(await supporterOf('+447700900330')).toBeUndefined();
  });

  it('imports all or nothing: a merge that fails leaves no member of the file, and says why', async () => {
    await database.pool.query(`
      CREATE FUNCTION fail_on_purpose() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.source = 'import:fail here' THEN RAISE EXCEPTION 'failing on purpose'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_on_purpose BEFORE INSERT ON supporters
        FOR EACH ROW EXECUTE FUNCTION fail_on_purpose();`);
    // More rows than a worker checks per chunk, so that several chunks are committed before the merge.
    const rows = Array.from(
      { length: 12_000 },
      (_, i) => `01632 9${String(i).padStart(5, '0')},Bulk Member,2024-03-01,web`,
    );
    rows.push('07700900340,Last Rowena,2024-03-01,fail here');
    const before = await count('supporters');
    const accepted = await startImport(csv(...rows));
    const job = await finishedJob(accepted.json().id);
    expect(job).toMatchObject({ status: 'failed', processed: 12_001, imported: 0 });
    expect(job.error).toMatch(/rolled back whole; nothing was imported/);
    expect(job.error).not.toContain('Rowena');
    expect(await count('supporters')).toBe(before);
    expect(await count('member_import_rows')).toBe(0);
    expect(await count('member_import_checked')).toBe(0);
    await database.pool.query('DROP TRIGGER fail_on_purpose ON supporters');
  });

  it('fails, importing nothing, when the staged rows are lost (a restart of Postgres empties them)', async () => {
    // The staging tables are unlogged: a restart empties them whole. Here a trigger loses the checked
    // rows of one source as they are written, so that the worker counted more than the merge finds.
    await database.pool.query(`
      CREATE FUNCTION lose_on_purpose() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.consent_source = 'lost here' THEN RETURN NULL; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER lose_on_purpose BEFORE INSERT ON member_import_checked
        FOR EACH ROW EXECUTE FUNCTION lose_on_purpose();`);
    const before = await count('supporters');
    const accepted = await startImport(
      csv('07700900380,Kept Karla,2024-03-01,web', '07700900381,Lost Lukas,2024-03-01,lost here'),
    );
    const job = await finishedJob(accepted.json().id);
    expect(job).toMatchObject({ status: 'failed', processed: 2, imported: 0 });
    expect(job.error).toMatch(/uploaded rows are gone .*nothing was imported/);
    expect(await count('supporters')).toBe(before);
    expect(await supporterOf('+447700900380')).toBeUndefined();
    expect(await count('member_import_checked')).toBe(0);
    await database.pool.query('DROP TRIGGER lose_on_purpose ON member_import_checked');
  });

  it('refuses a file over the limits with 413 naming them, and keeps nothing of it', async () => {
    const declared = new PassThrough();
    declared.end(`${HEADER}\n`);
    const tooBig = await asCampaigner({
      method: 'POST',
      url: '/api/v1/members/imports',
      headers: { 'content-type': 'text/csv', 'content-length': String(100_000_001) },
      payload: declared,
    });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().error.message).toContain('100 MB');

    // The row limit is checked as the file arrives; a smaller one stands in for two million here.
    const before = await count('member_imports');
    const imports = importJobsService({ maxRows: 3 });
    const error = await imports
      .start([csv(...Array.from({ length: 4 }, (_, i) => `07700900${350 + i},Too Many,2024-03-01,web`))], {
        dryRun: false,
        staffId: 1,
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ statusCode: 413, message: expect.stringContaining('3 members at most') });
    expect(await count('member_imports')).toBe(before);
    expect(await count('member_import_rows')).toBe(0);

    const noHeader = await startImport('07700900360,Jane Smith,2024-03-01,web\n');
    expect(noHeader.statusCode).toBe(400);
    expect(noHeader.body).not.toContain('07700900360');
  });

  it('refuses a viewer; a viewer may follow an import', async () => {
    expect((await startImport(csv('07700900370,Not Imported,2024-03-01,web'), '', asViewer)).statusCode).toBe(
      403,
    );
    expect((await asViewer({ method: 'GET', url: '/api/v1/members/imports/999999' })).statusCode).toBe(404);
  });

  it('is described in the OpenAPI document', async () => {
    const { paths } = (await server.app.inject('/docs/json')).json();
    expect(Object.keys(paths['/api/v1/members/imports'].post.responses)).toContain('202');
    expect(
      paths['/api/v1/members/imports/{id}'].get.responses['200'].content['application/json'].schema
        .properties,
    ).toHaveProperty('refused');
  });

  it('never has an imported number in clear in a log line or in any column', async () => {
    const forms = [...used].flatMap(phoneForms);
    const logs = `${server.logs.text()}\n${workers?.logs.text()}`;
    for (const form of forms) expect(logs).not.toContain(form);
    expect(await columnsContaining(database.pool, forms)).toEqual([]);
  });
});
