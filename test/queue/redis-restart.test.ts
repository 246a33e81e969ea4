import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { type OwnRedis, startOwnRedis } from '../helpers/redis-server.js';

let redis: OwnRedis;
let database: TestDatabase;
let workers: TestWorkers;

beforeAll(async () => {
  redis = await startOwnRedis();
  database = await createTestDatabase();
  workers = await startTestWorkers(database, {
    env: { REDIS_URL: redis.url },
    queuePrefix: uniqueQueuePrefix(),
  });
});

afterAll(async () => {
  await workers?.close();
  await redis?.stop();
  await database?.drop();
});

async function schedulers(): Promise<string[]> {
  const list = await workers.workers.queues.maintenance.getJobSchedulers();
  return list.map((scheduler) => scheduler.key).sort();
}

describe('Redis restarted without its data', () => {
  it('has the periodic jobs scheduled again, without a worker restarting', async () => {
    const expected = [
      'close-expired-campaigns',
      'recheck-names',
      'retention',
      'scheduled-batches',
      'watchdog',
    ];
    await waitFor(async () => (await schedulers()).length === expected.length, 'the schedules');
    expect(await schedulers()).toEqual(expected);

    await redis.stop();
    await redis.start();
    // The same worker process, its connection back on a Redis that knows no schedule.
    const again = await waitFor(
      async () => {
        const keys = await schedulers().catch(() => []);
        return keys.length === expected.length ? keys : null;
      },
      'the schedules again',
      60_000,
    );
    expect(again).toEqual(expected);
    expect(
      workers.logs.lines.filter((line) => line.includes('periodic jobs scheduled')).length,
    ).toBeGreaterThanOrEqual(2);
  }, 70_000);
});
