import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createRedis, type RedisClient } from '../../src/queue/connection.js';
import { enqueue } from '../../src/queue/outbox.repository.js';
import { closeQueues, createQueues, type Queues } from '../../src/queue/queues.js';
import { createOutboxRelay, outboxJobId } from '../../src/queue/relay.js';
import { createOutboxWatchdog } from '../../src/queue/watchdog.js';
import { CapturedLogs } from '../helpers/app.js';
import {
  createTestDatabase,
  REDIS_URL,
  type TestDatabase,
  UNREACHABLE_REDIS_URL,
} from '../helpers/database.js';

// No workers here: jobs stay in their queues, so every job the relay adds can be counted.
let database: TestDatabase;
let redis: RedisClient;
let queues: Queues;
let logs: CapturedLogs;
const prefix = `pp_test_${randomBytes(4).toString('hex')}`;

function relay(options: { batchSize?: number; concurrency?: number; intervalMs?: number } = {}) {
  return createOutboxRelay({ database, queues, redis, logger: createLogger('info', logs), ...options });
}

async function jobCount(): Promise<number> {
  const counts = await Promise.all(Object.values(queues).map((queue) => queue.getJobCountByTypes('waiting')));
  return counts.reduce((sum, n) => sum + n, 0);
}

async function pendingRows(): Promise<number> {
  const { rows } = await database.pool.query(
    'SELECT count(*)::int AS n FROM outbox WHERE enqueued_at IS NULL',
  );
  return rows[0].n;
}

/** The rows' job keys, oldest first. */
async function insertRows(count: number, start = 0): Promise<string[]> {
  await database.db.transaction(async (tx) => {
    for (let i = 0; i < count; i++) await enqueue(tx, 'fax-render', 'render-batch', { batchId: start + i });
  });
  const { rows } = await database.pool.query('SELECT job_key FROM outbox ORDER BY id DESC LIMIT $1', [count]);
  return rows.map((row) => row.job_key as string).reverse();
}

beforeAll(async () => {
  database = await createTestDatabase();
  redis = createRedis(REDIS_URL);
  queues = createQueues(redis, { prefix });
});

beforeEach(async () => {
  logs = new CapturedLogs();
  await Promise.all(Object.values(queues).map((queue) => queue.obliterate({ force: true })));
  await database.pool.query('DELETE FROM outbox');
});

afterAll(async () => {
  await Promise.all(Object.values(queues).map((queue) => queue.obliterate({ force: true })));
  await closeQueues(queues);
  redis.disconnect();
  await database.drop();
});

describe('outbox relay', () => {
  it('adds each due row as a job named by its random key, with its payload, then marks it', async () => {
    const ids = await insertRows(3, 10);
    expect(await relay().relayOnce()).toBe(3);
    const jobs = await queues['fax-render'].getJobs(['waiting']);
    expect(jobs.map((job) => [job.id, job.name, job.data]).sort()).toEqual(
      ids.map((id, i) => [outboxJobId(id), 'render-batch', { batchId: 10 + i }]).sort(),
    );
    expect(await pendingRows()).toBe(0);
  });

  it('never enqueues a row twice: run again, or after a crash between adding and marking', async () => {
    const ids = await insertRows(3);
    // A relay that added the first row and died before its transaction committed.
    await queues['fax-render'].add('render-batch', { batchId: 0 }, { jobId: outboxJobId(ids[0] as string) });
    const first = relay();
    expect(await first.relayOnce()).toBe(3);
    expect(await first.relayOnce()).toBe(0);
    // The whole relay pass lost at commit: every row pending again, every job already there.
    await database.pool.query('UPDATE outbox SET enqueued_at = NULL');
    expect(await relay().relayOnce()).toBe(3);
    expect(await jobCount()).toBe(3);
  });

  it('enqueues the work of a database reset while Redis keeps the jobs of the one before', async () => {
    await insertRows(2);
    await relay().relayOnce();
    // Dropped and recreated: the outbox ids start again at 1, Redis still holds the finished jobs.
    await database.pool.query('TRUNCATE outbox RESTART IDENTITY');
    await insertRows(2, 50);
    expect(await relay().relayOnce()).toBe(2);
    const jobs = await queues['fax-render'].getJobs(['waiting']);
    expect(jobs.map((job) => job.data.batchId).sort()).toEqual([0, 1, 50, 51]);
    expect(await pendingRows()).toBe(0);
  });

  it('does not mark a row relayed when its job id holds another job: logged, given a new id, added', async () => {
    const mismatches = {
      count: 0,
      inc() {
        this.count++;
      },
    };
    const [key] = await insertRows(1, 7);
    await queues['fax-render'].add('render-batch', { batchId: 999 }, { jobId: outboxJobId(key as string) });
    const once = createOutboxRelay({
      database,
      queues,
      redis,
      logger: createLogger('info', logs),
      mismatches,
    });
    expect(await once.relayOnce()).toBe(1);
    expect(mismatches.count).toBe(1);
    expect(logs.text()).toContain('outbox job id already held by another job');
    expect(await pendingRows()).toBe(1);
    expect(await once.relayOnce()).toBe(1);
    expect(await pendingRows()).toBe(0);
    const jobs = await queues['fax-render'].getJobs(['waiting']);
    expect(jobs.map((job) => job.data.batchId).sort()).toEqual([7, 999]);
  });

  it('keeps relayed rows while BullMQ may still hold their jobs, and deletes them after', async () => {
    await insertRows(3);
    await relay().relayOnce();
    await database.pool.query(
      "UPDATE outbox SET enqueued_at = now() - interval '36 days' WHERE id = (SELECT min(id) FROM outbox)",
    );
    await createOutboxWatchdog({ db: database.db, redis, prefix }).driveStuck();
    const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM outbox');
    expect(rows[0].n).toBe(2);
  });

  it('shares the rows between relays running at once, each row once', async () => {
    await insertRows(450);
    const relays = [relay({ batchSize: 50 }), relay({ batchSize: 50 }), relay({ batchSize: 50 })];
    let total = 0;
    for (;;) {
      const taken = await Promise.all(relays.map((each) => each.relayOnce()));
      total += taken.reduce((sum, n) => sum + n, 0);
      if (taken.every((n) => n === 0)) break;
    }
    expect(total).toBe(450);
    expect(await jobCount()).toBe(450);
    expect(await pendingRows()).toBe(0);
  });

  it('drains a backlog of many batches with several rounds at once, each row once', async () => {
    await insertRows(230);
    const backlog = relay({ batchSize: 20, concurrency: 3, intervalMs: 10 });
    backlog.start();
    const deadline = Date.now() + 10_000;
    while ((await pendingRows()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await backlog.stop();
    expect(await pendingRows()).toBe(0);
    expect(await jobCount()).toBe(230);
  });

  it('leaves scheduled work until its time', async () => {
    await database.db.transaction(async (tx) => {
      await enqueue(tx, 'fax-deliver', 'send-delivery', { deliveryId: 1 }, new Date(Date.now() + 3_600_000));
    });
    expect(await relay().relayOnce()).toBe(0);
    expect(await pendingRows()).toBe(1);
  });

  it('keeps rows in Postgres while Redis is down and warns, without data, then retries', async () => {
    await insertRows(2, 7);
    const downRedis = createRedis(UNREACHABLE_REDIS_URL);
    const downQueues = createQueues(downRedis, { prefix: 'pp_test_down' });
    const down = createOutboxRelay({
      database,
      queues: downQueues,
      redis: downRedis,
      logger: createLogger('info', logs),
      intervalMs: 20,
    });
    await expect(down.relayOnce()).rejects.toThrow(/unavailable/);
    down.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await down.stop();
    await closeQueues(downQueues);
    downRedis.disconnect();
    expect(await pendingRows()).toBe(2);
    // Warned once for the outage, not every round, and never with a payload.
    const warnings = logs.lines.filter((line) => line.includes('outbox relay cannot enqueue'));
    expect(warnings).toHaveLength(1);
    expect(logs.text()).not.toContain('batchId');

    const up = relay();
    up.start();
    const deadline = Date.now() + 5_000;
    while ((await pendingRows()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await up.stop();
    expect(await jobCount()).toBe(2);
  });
});
