import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailySlot } from '../../src/fax/batches.js';
import { enqueue } from '../../src/queue/outbox.repository.js';
import { outboxJobId } from '../../src/queue/relay.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import {
  removeDir,
  signNames,
  startTestWorkers,
  type TestWorkers,
  tempOutboxDir,
  uniqueQueuePrefix,
  waitFor,
} from './harness.js';

describe('dailySlot', () => {
  it("is today's time in the zone, as an instant", () => {
    expect(dailySlot(new Date('2026-11-23T12:00:00Z'), 'Europe/Moscow', '10:00')).toEqual(
      new Date('2026-11-23T07:00:00Z'),
    );
    expect(dailySlot(new Date('2026-07-01T12:00:00Z'), 'Europe/London', '10:00')).toEqual(
      new Date('2026-07-01T09:00:00Z'),
    );
    expect(dailySlot(new Date('2026-12-01T12:00:00Z'), 'Europe/London', '10:00')).toEqual(
      new Date('2026-12-01T10:00:00Z'),
    );
  });

  it('takes "today" as the zone sees it', () => {
    // 01:30 on the 24th in Moscow, still the 23rd in UTC.
    expect(dailySlot(new Date('2026-11-23T22:30:00Z'), 'Europe/Moscow', '10:00')).toEqual(
      new Date('2026-11-24T07:00:00Z'),
    );
  });

  it('finds the slot on the day the clocks change', () => {
    expect(dailySlot(new Date('2026-03-29T12:00:00Z'), 'Europe/London', '10:00')).toEqual(
      new Date('2026-03-29T09:00:00Z'),
    );
  });

  it('is null for a time that is not HH:MM', () => {
    expect(dailySlot(new Date(), 'Europe/Moscow', '25:00')).toBeNull();
  });
});

let database: TestDatabase;
let workers: TestWorkers;
let outboxDir: string;
// Monday 23 November 2026, 09:00 in Moscow.
let now = new Date('2026-11-23T06:00:00Z');
let nextJob = 0;

const target = { name: 'Igor Krasnov', salutation: 'Dear Prosecutor General', faxNumbers: ['+442079460111'] };

async function query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await database.pool.query(text, params)).rows as T[];
}

async function campaign(keyword: string) {
  const created = await openCampaign(database, {
    keyword,
    title: `${keyword} action`,
    letter: { body: 'Please act.' },
    targets: [target],
  });
  return created.id;
}

async function batchesOf(campaignId: number) {
  return query<{ reason: string; signature_count: number }>(
    'SELECT reason, signature_count FROM fax_batches WHERE campaign_id = $1 ORDER BY id',
    [campaignId],
  );
}

async function finished(queue: Queue, jobId: string) {
  await waitFor(async () => {
    const state = await queue.getJobState(jobId);
    if (state === 'failed') throw new Error(`job ${jobId} failed`);
    return state === 'completed';
  }, `job ${jobId}`);
}

async function runScheduledBatches() {
  const jobId = `scheduled-test-${nextJob++}`;
  await workers.workers.queues.maintenance.add('scheduled-batches', {}, { jobId });
  await finished(workers.workers.queues.maintenance, jobId);
}

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempOutboxDir();
  workers = await startTestWorkers(database, {
    env: { FAX_OUTBOX_DIR: outboxDir },
    queuePrefix: uniqueQueuePrefix(),
    clock: () => now,
  });
});

afterAll(async () => {
  await workers?.close();
  await database?.drop();
  removeDir(outboxDir);
});

describe('the scheduled-batches job', () => {
  it('makes a batch whenever the threshold of waiting names is reached', async () => {
    const id = await campaign('THRESHOLD');
    await query('UPDATE campaigns SET batch_threshold = 5 WHERE id = $1', [id]);
    await signNames(database, 'THRESHOLD', ['Ann Able', 'Bob Baker', 'Cat Cole', 'Dan Dale']);
    await runScheduledBatches();
    expect(await batchesOf(id)).toEqual([]);
    await signNames(database, 'THRESHOLD', ['Eve Evans']);
    await runScheduledBatches();
    await runScheduledBatches();
    expect(await batchesOf(id)).toEqual([{ reason: 'threshold', signature_count: 5 }]);
  });

  it('makes at most one daily batch a day, from the time set in the first target’s zone', async () => {
    const id = await campaign('DAILY');
    await query(`UPDATE campaigns SET batch_daily_at = '10:00' WHERE id = $1`, [id]);
    await signNames(database, 'DAILY', ['Ann Able', 'Bob Baker']);
    now = new Date('2026-11-23T06:59:00Z');
    await runScheduledBatches();
    expect(await batchesOf(id)).toEqual([]);

    now = new Date('2026-11-23T07:01:00Z');
    await runScheduledBatches();
    await signNames(database, 'DAILY', ['Cat Cole']);
    now = new Date('2026-11-23T15:00:00Z');
    await runScheduledBatches();
    expect(await batchesOf(id)).toEqual([{ reason: 'schedule', signature_count: 2 }]);

    now = new Date('2026-11-24T07:00:00Z');
    await runScheduledBatches();
    expect(await batchesOf(id)).toEqual([
      { reason: 'schedule', signature_count: 2 },
      { reason: 'schedule', signature_count: 1 },
    ]);
  });
});

describe('the close-batch job', () => {
  async function close(campaignId: number): Promise<string> {
    // What closing a campaign does: the status and the job in one transaction.
    return database.db.transaction(async (tx) => {
      await tx.execute(
        sql`UPDATE campaigns SET status = 'closed', closed_at = now() WHERE id = ${campaignId}`,
      );
      await enqueue(tx, 'fax-render', 'close-batch', { campaignId });
      const { rows } = await tx.execute<{ job_key: string }>(
        sql`SELECT job_key FROM outbox ORDER BY id DESC LIMIT 1`,
      );
      return outboxJobId(rows[0]?.job_key as string);
    });
  }

  it('sends the names still waiting when a campaign closes', async () => {
    const id = await campaign('CLOSING');
    await signNames(database, 'CLOSING', ['Ann Able', 'Анна Петрова', 'Cat Cole']);
    await finished(workers.workers.queues['fax-render'], await close(id));
    expect(await batchesOf(id)).toEqual([{ reason: 'close', signature_count: 3 }]);
    await waitFor(async () => {
      const [batch] = await query<{ status: string }>(
        'SELECT status FROM fax_batches WHERE campaign_id = $1',
        [id],
      );
      return batch?.status === 'written';
    }, 'the closing batch written');
  });

  it('does nothing when no name waits', async () => {
    const id = await campaign('EMPTY');
    await finished(workers.workers.queues['fax-render'], await close(id));
    expect(await batchesOf(id)).toEqual([]);
  });
});
