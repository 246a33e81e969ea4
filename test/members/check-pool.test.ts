import { randomBytes } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CheckPool, type ChunkToCheck, createCheckPool } from '../../src/members/check-pool.js';
import {
  connectForImport,
  copyCheckedText,
  releaseImportConnection,
  type UploadedRow,
} from '../../src/members/imports.repository.js';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { createTestDatabase } from '../helpers/database.js';

const phoneKeys = { encryptionKey: randomBytes(32), oldEncryptionKeys: [], indexKey: randomBytes(32) };
const phoneCrypto = createPhoneCrypto(phoneKeys);
const RECEIVED = Date.parse('2025-06-15T12:00:00Z');

let row = 0;
/** A row of an uploaded file, on the line after the last one made. */
function uploaded(fields: Partial<UploadedRow> = {}): UploadedRow {
  row += 1;
  return {
    n: row,
    line: row + 1,
    number: `07700 9${String(row).padStart(5, '0')}`,
    name: 'Jane Smith',
    consentDate: '2024-03-01',
    consentSource: 'web',
    ...fields,
  };
}

/** The number of an uploaded row (a UK one, written 07… or +44…) in E.164. */
const e164 = (row: UploadedRow | undefined) => `+44${row?.number.replace(/\D/g, '').replace(/^(44|0)/, '')}`;

/** Good rows, refused ones, held names, no name, and fields COPY has to escape. */
const mixed = (): UploadedRow[] => [
  uploaded(),
  uploaded({ number: 'not a number' }),
  uploaded({ name: 'Анна Иванова' }),
  uploaded({ name: 'J4ne' }),
  uploaded({ name: 'Mickey Mouse' }),
  uploaded({ consentDate: '' }),
  uploaded({ name: '' }),
  uploaded({ consentDate: '2026-01-01' }),
  uploaded({ name: 'Test Test', consentSource: 'stall\\market' }),
  uploaded({ number: '+44 7700 900999', consentDate: '31/05/2024' }),
];

const chunk = (rows: UploadedRow[], options: Partial<ChunkToCheck> = {}): ChunkToCheck => ({
  importId: 42,
  rows,
  received: RECEIVED,
  dryRun: false,
  keepRefused: 100,
  ...options,
});

/** The COPY text's lines as columns, each ciphertext opened to its number (IVs differ at each run). */
function columns(copy: Uint8Array): string[][] {
  return Buffer.from(copy)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const fields = line.split('\t');
      const ciphertext = fields[2] ?? '';
      if (ciphertext !== '\\N') fields[2] = phoneCrypto.decrypt(ciphertext);
      return fields;
    });
}

const pools: CheckPool[] = [];
function pool(threads: number, onThread?: (thread: Worker) => void): CheckPool {
  const made = createCheckPool({ phoneKeys, threads, onThread });
  pools.push(made);
  return made;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((made) => made.close()));
});

/** Two threads and none, for the tests that only read what they check: a thread takes a second to load. */
let twoThreads: CheckPool;
let here: CheckPool;
const started: Worker[] = [];
beforeAll(() => {
  twoThreads = createCheckPool({ phoneKeys, threads: 2, onThread: (thread) => started.push(thread) });
  here = createCheckPool({ phoneKeys, threads: 0 });
});
afterAll(async () => {
  await Promise.all([twoThreads.close(), here.close()]);
});

describe('the check pool', () => {
  it('checks rows in its threads as the calling thread does, dry runs without ciphertexts', async () => {
    for (const dryRun of [false, true]) {
      const rows = mixed();
      const [inThread, onHere] = await Promise.all([
        twoThreads.check(chunk(rows, { dryRun })),
        here.check(chunk(rows, { dryRun })),
      ]);
      expect({ ...inThread, copy: columns(inThread.copy) }).toEqual({
        ...onHere,
        copy: columns(onHere.copy),
      });
      expect(inThread.accepted).toBe(6);
      expect(inThread.refusedCount).toBe(4);
      expect(inThread.refused).toEqual([
        { line: (rows[1] as UploadedRow).line, reason: 'The number is not a phone number we can read.' },
        { line: (rows[3] as UploadedRow).line, reason: 'The name contains digits.' },
        { line: (rows[5] as UploadedRow).line, reason: 'The consent date is missing.' },
        { line: (rows[7] as UploadedRow).line, reason: 'The consent date is in the future.' },
      ]);
      const lines = columns(inThread.copy);
      const first = rows[0] as UploadedRow;
      expect(lines[0]).toEqual([
        '42',
        String(first.line),
        dryRun ? '\\N' : e164(first),
        phoneCrypto.blindIndex(e164(first)),
        'Jane Smith',
        'f',
        '2024-03-01T00:00:00.000Z',
        'web',
      ]);
      // Held names are kept, marked; a row without a name has none; a backslash is escaped for COPY.
      expect(lines.map((fields) => [fields[4], fields[5]])).toEqual([
        ['Jane Smith', 'f'],
        ['Анна Иванова', 'f'],
        ['Mickey Mouse', 't'],
        ['\\N', 'f'],
        ['Test Test', 't'],
        ['Jane Smith', 'f'],
      ]);
      expect(lines[4]?.[7]).toBe('stall\\\\market');
      expect(lines[5]?.[2]).toBe(dryRun ? '\\N' : '+447700900999');
    }
  });

  it('writes rows longer than it first makes room for whole: long names and sources in 3-byte UTF-8', async () => {
    // 60 characters of name and 100 of source, 3 bytes each: each line about 600 bytes.
    const name = `${'山'.repeat(29)} ${'田'.repeat(30)}`;
    const source = '街'.repeat(100);
    const rows = [
      uploaded({ name, consentSource: source }),
      uploaded(),
      uploaded({ name, consentSource: source }),
    ];
    for (const threads of [twoThreads, here]) {
      const lines = columns((await threads.check(chunk(rows))).copy);
      expect(lines.map((fields) => [fields[1], fields[4], fields[7]])).toEqual([
        [String(rows[0]?.line), name, source],
        [String(rows[1]?.line), 'Jane Smith', 'web'],
        [String(rows[2]?.line), name, source],
      ]);
      expect(lines[2]?.[2]).toBe(e164(rows[2]));
    }
  });

  it('keeps the first refusals it is asked to keep and counts the rest', async () => {
    const rows = [...mixed(), ...mixed()];
    for (const threads of [twoThreads, here]) {
      const checked = await threads.check(chunk(rows, { keepRefused: 3 }));
      expect(checked.refusedCount).toBe(8);
      expect(checked.refused.map(({ line }) => line)).toEqual(
        [rows[1], rows[3], rows[5]].map((refused) => refused?.line),
      );
      expect((await threads.check(chunk(rows, { keepRefused: 0 }))).refused).toEqual([]);
    }
  });

  it('gives each chunk its own rows back when two threads check several at once', async () => {
    const chunks = Array.from({ length: 6 }, (_, i) =>
      chunk(
        Array.from({ length: 500 + i * 100 }, () => uploaded()),
        { importId: 100 + i },
      ),
    );
    const checked = await Promise.all(chunks.map((each) => twoThreads.check(each)));
    expect(started).toHaveLength(2);
    checked.forEach((result, i) => {
      const rows = chunks[i]?.rows ?? [];
      expect(result.accepted).toBe(rows.length);
      expect(columns(result.copy).map(([importId, line]) => [importId, line])).toEqual(
        rows.map(({ line }) => [String(100 + i), String(line)]),
      );
    });
  });

  it('fails the chunk whose check throws, and checks the next without a new thread', async () => {
    const broken = chunk([uploaded(), uploaded({ number: null as unknown as string })]);
    await expect(twoThreads.check(broken)).rejects.toThrow(TypeError);
    expect((await twoThreads.check(chunk([uploaded()]))).accepted).toBe(1);
    expect(started).toHaveLength(2);
  });

  it('fails the chunk of a thread that dies and checks the next on a new thread', async () => {
    const begun: Worker[] = [];
    const threads = pool(1, (thread) => begun.push(thread));
    const dying = expect(threads.check(chunk(Array.from({ length: 20_000 }, () => uploaded())))).rejects;
    const next = threads.check(chunk([uploaded()]));
    const [thread] = begun;
    await new Promise((resolve) => thread?.once('online', resolve));
    await thread?.terminate();
    await dying.toThrow('a check thread stopped');
    expect((await next).accepted).toBe(1);
    expect(begun).toHaveLength(2);
  });

  it('stops every thread when closed, failing the chunks no thread had taken', async () => {
    const stopped: Promise<unknown>[] = [];
    const threads = pool(2, (thread) => stopped.push(new Promise((resolve) => thread.once('exit', resolve))));
    await Promise.all([threads.check(chunk(mixed())), threads.check(chunk(mixed()))]);
    // Two chunks are taken by the threads (and may be checked before they stop), three wait.
    const taken = Promise.allSettled([1, 2].map(() => threads.check(chunk(mixed()))));
    const waiting = Promise.allSettled([1, 2, 3].map(() => threads.check(chunk(mixed()))));
    await threads.close();
    expect(stopped).toHaveLength(2);
    await Promise.all(stopped);
    expect(await taken).toHaveLength(2);
    for (const each of await waiting) {
      expect(each).toMatchObject({ status: 'rejected', reason: new Error('the check pool was closed') });
    }
    await expect(threads.check(chunk(mixed()))).rejects.toThrow('the check pool was closed');
  });
});

describe("the check pool's COPY text", () => {
  it('is staged in member_import_checked as checked, held names, escapes and all', async () => {
    const database = await createTestDatabase();
    try {
      const rows = mixed();
      const { copy } = await twoThreads.check(chunk(rows, { importId: 7 }));
      const connection = await connectForImport(database.pool);
      try {
        await connection.db.transaction(() => copyCheckedText(connection, 7, copy));
      } finally {
        releaseImportConnection(connection, false);
      }
      const staged = await database.pool.query(
        `SELECT import_id::int, line, phone_ciphertext, phone_index, name, held, consent_at, consent_source
           FROM member_import_checked ORDER BY line`,
      );
      const [good, , cyrillic, , fictional, , nameless, , placeholder, international] = rows as UploadedRow[];
      const member = (row: UploadedRow | undefined, fields: { held?: boolean; consentAt?: string } = {}) => ({
        import_id: 7,
        line: row?.line,
        phone: e164(row),
        phone_index: phoneCrypto.blindIndex(e164(row)),
        name: row?.name || null,
        held: fields.held ?? false,
        consent_at: new Date(fields.consentAt ?? '2024-03-01T00:00:00Z'),
        consent_source: row?.consentSource,
      });
      expect(
        staged.rows.map(({ phone_ciphertext, ...row }) => ({
          ...row,
          phone: phoneCrypto.decrypt(phone_ciphertext),
        })),
      ).toEqual([
        member(good),
        member(cyrillic),
        member(fictional, { held: true }),
        member(nameless),
        member(placeholder, { held: true }),
        member(international, { consentAt: '2024-05-30T23:00:00Z' }),
      ]);
    } finally {
      await database.drop();
    }
  });
});
