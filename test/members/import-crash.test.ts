import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues } from '../../src/queue/queues.js';
import { emptyQueues, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../helpers/database.js';
import { type WorkerProcesses, workerProcesses } from '../helpers/worker-process.js';

// The product's workers in a process of their own, SIGKILLed twice during an import: once while it
// checks the file (after its first chunk is committed), once in the merge. Each time the next process
// takes the stalled job up where the last committed chunk left it; supporters gain the file's members
// only when the last run commits its merge, each once. More rows than a file checked on the worker's
// own thread: its chunks are checked by the worker's threads, killed with it.
const ROWS = 24_000;

let database: TestDatabase;
let server: TestApp;
let processes: WorkerProcesses;
let asCampaigner: ReturnType<typeof apiAs>;
const queuePrefix = `{${uniqueQueuePrefix()}}`;

beforeAll(async () => {
  database = await createTestDatabase();
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    CRASH_QUEUE_PREFIX: queuePrefix,
  };
  server = await startTestApp(database, { env, databaseUrl: database.url });
  asCampaigner = apiAs(server.app, (await staffToken(database, 'campaigner')).token);
  processes = workerProcesses(env);
});

afterAll(async () => {
  await processes?.close();
  const queues = createQueues(server.redis, { prefix: queuePrefix });
  await emptyQueues(queues);
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
  await server?.close();
  await database?.drop();
});

async function job(id: string) {
  const { rows } = await database.pool.query(
    'SELECT status, rows, processed, imported, skipped, runs, error FROM member_imports WHERE id = $1',
    [id],
  );
  return rows[0];
}

const count = async (table: string) =>
  (await database.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;

/** Waits until a statement of the workers waits for a lock (the merge, behind the test's lock). */
const mergeWaiting = async () =>
  (
    await database.pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO supporters%'`,
    )
  ).rows[0].n > 0;

describe('an import whose worker process is killed in the middle', () => {
  it('leaves nothing half-imported, resumes, and imports every member once', async () => {
    const file = [
      'number,name,consent_date,consent_source',
      ...Array.from(
        { length: ROWS },
        (_, i) => `01632 9${String(i).padStart(5, '0')},Crash Member,2024-03-01,web`,
      ),
    ].join('\n');
    const accepted = await asCampaigner({
      method: 'POST',
      url: '/api/v1/members/imports',
      headers: { 'content-type': 'text/csv' },
      payload: file,
    });
    expect(accepted.statusCode).toBe(202);
    const { id } = accepted.json();

    // The merge waits behind this lock, so that every kill falls before it can commit.
    const holder: pg.PoolClient = await database.pool.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE supporters IN SHARE MODE');
    try {
      const first = await processes.start();
      await waitFor(async () => (await job(id)).processed > 0, 'the first chunk to be committed', 30_000);
      await processes.kill(first);
      expect(await count('supporters')).toBe(0);

      const second = await processes.start();
      await waitFor(mergeWaiting, 'the merge to start', 30_000);
      expect(await job(id)).toMatchObject({ status: 'running', processed: ROWS });
      await processes.kill(second);
    } finally {
      await holder.query('COMMIT');
      holder.release();
    }
    expect(await count('supporters')).toBe(0);

    await processes.start();
    const done = await waitFor(
      async () => {
        const current = await job(id);
        return current.status === 'done' || current.status === 'failed' ? current : null;
      },
      'the import to finish',
      30_000,
    );
    expect(done).toMatchObject({ status: 'done', processed: ROWS, imported: ROWS, skipped: 0, runs: 3 });
    expect(await count('supporters')).toBe(ROWS);
    expect(await count('member_import_checked')).toBe(0);
  });
});
