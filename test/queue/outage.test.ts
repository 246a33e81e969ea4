import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { UNREACHABLE_POSTGRES_URL } from '../helpers/database.js';

/**
 * Postgres unreachable (here: nothing listens at DATABASE_URL) is an outage, not the job's fault: a job
 * that meets it waits in the delayed set without spending an attempt, so an outage longer than its
 * retries does not fail it for good.
 */
let workers: TestWorkers;
const database = createDatabase(UNREACHABLE_POSTGRES_URL);

beforeAll(async () => {
  workers = await startTestWorkers(
    { ...database, url: UNREACHABLE_POSTGRES_URL, drop: async () => {} },
    { env: { DATABASE_URL: UNREACHABLE_POSTGRES_URL }, queuePrefix: `{${uniqueQueuePrefix()}}` },
  );
});

afterAll(async () => {
  await workers?.close();
  await database.close();
});

describe('a job in a Postgres outage', () => {
  it('waits without spending its attempts, however many times it meets the outage', async () => {
    const queue = workers.workers.queues['sms-send'];
    // One attempt: any failure counted against it would fail the job for good.
    const job = await queue.add('send', { messageId: 1 }, { attempts: 1 });
    const tries = new Set<number>();
    await waitFor(
      async () => {
        const now = await queue.getJob(job.id as string);
        if (now?.processedOn) tries.add(now.processedOn);
        return tries.size >= 2;
      },
      'the job tried twice',
      20_000,
    );
    const after = await queue.getJob(job.id as string);
    expect(await after?.getState()).not.toBe('failed');
    expect(after?.attemptsMade).toBe(0);
    expect(after?.failedReason ?? null).toBeNull();
  });
});
