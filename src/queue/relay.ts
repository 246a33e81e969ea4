import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { type RedisClient, redisNotReady } from './connection.js';
import { giveNewJobKeys, lockDueJobs, markRelayed, type OutboxJob } from './outbox.repository.js';
import { QUEUE_NAMES, type QueueName, type Queues } from './queues.js';

export interface RelayDeps {
  database: Database;
  queues: Queues;
  /** The connection the queues use: while it is not ready, rows wait in Postgres. */
  redis: RedisClient;
  logger: Logger;
  /** Counts adds that found another job under their id. */
  mismatches?: { inc(): void };
  intervalMs?: number;
  /** Rows claimed by one statement and added by one `addBulk` a queue. */
  batchSize?: number;
  /** Batches relayed at once while a backlog lasts (a fan-out's million texts). */
  concurrency?: number;
  /** How long one hand-over to Redis may take before the rows are left for the next round. */
  addTimeoutMs?: number;
}

export interface OutboxRelay {
  /** Hands the due rows (at most one batch) to BullMQ; resolves to how many rows it took. */
  relayOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export class QueuesUnavailable extends Error {
  constructor(reason: string) {
    super(`the queues are unavailable: ${reason}`);
    this.name = 'QueuesUnavailable';
  }
}

/** BullMQ refuses job ids with one colon, so the row's random key is joined with a dash. */
export const outboxJobId = (jobKey: string) => `outbox-${jobKey}`;

const WARN_EVERY_MS = 60_000;

/** The rows whose job, read back from Redis, is not the one the row describes. One round trip a queue. */
async function jobsNotOurs(redis: RedisClient, queue: Queue, rows: OutboxJob[]): Promise<OutboxJob[]> {
  const pipeline = redis.pipeline();
  for (const row of rows) pipeline.hmget(queue.toKey(outboxJobId(row.jobKey)), 'name', 'data');
  const replies = (await pipeline.exec()) ?? [];
  return rows.filter((row, i) => {
    const [error, fields] = replies[i] ?? [];
    const [name, data] = (fields as (string | null)[] | undefined) ?? [];
    // A job already finished and removed reads back empty: the add above made it anew.
    if (error || name === null || name === undefined) return false;
    return name !== row.jobName || data !== JSON.stringify(row.payload);
  });
}

/** Redis commands wait for a connection that comes back; the callers here would rather fail and retry. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueuesUnavailable(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Moves committed outbox rows into BullMQ. Rows are locked (SKIP LOCKED, so several relays share the
 * work), added with the job id `outbox-<job_key>` and marked in the same transaction: a crash between
 * the add and the commit leaves the rows pending, and adding them again is a no-op in BullMQ.
 *
 * BullMQ answers an add whose id it already holds with that id, silently keeping the job it has. So
 * each add is read back: a job under our id with another name or payload is not our work (it cannot
 * happen with random keys, unless someone wrote into our prefix), and the row gets a new key and stays
 * pending, logged and counted, rather than being marked as relayed.
 */
export function createOutboxRelay(deps: RelayDeps): OutboxRelay {
  const { database, queues, redis, logger } = deps;
  const intervalMs = deps.intervalMs ?? 250;
  // A thousand a round: each round costs two statements and a commit besides the adds themselves;
  // bigger rounds measured no faster and hold more jobs in memory (and Redis in one MULTI) at once.
  const batchSize = deps.batchSize ?? 1_000;
  // Two rounds at once, so that one's Redis adds overlap the other's statements.
  const concurrency = deps.concurrency ?? 2;
  const addTimeoutMs = deps.addTimeoutMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let unavailableSince: number | null = null;
  let lastWarning = 0;

  async function relayOnce(): Promise<number> {
    if (redis.status !== 'ready') throw new QueuesUnavailable(redisNotReady(redis.status));
    return database.db.transaction(async (tx) => {
      const rows = await lockDueJobs(tx, batchSize);
      if (rows.length === 0) return 0;

      const byQueue = new Map<QueueName, OutboxJob[]>();
      for (const row of rows) {
        if (!(QUEUE_NAMES as readonly string[]).includes(row.queue)) {
          // Unrunnable whatever we do; marked below so that it does not hold up the rows after it.
          logger.error(
            { outboxId: row.id, queue: row.queue, jobName: row.jobName },
            'outbox row names no queue',
          );
          continue;
        }
        const queue = row.queue as QueueName;
        const jobs = byQueue.get(queue) ?? [];
        jobs.push(row);
        byQueue.set(queue, jobs);
      }
      const mismatched = await withTimeout(
        Promise.all(
          [...byQueue].map(async ([queue, jobs]) => {
            await queues[queue].addBulk(
              jobs.map((row) => ({
                name: row.jobName,
                data: row.payload,
                opts: { jobId: outboxJobId(row.jobKey) },
              })),
            );
            return jobsNotOurs(redis, queues[queue], jobs);
          }),
        ),
        addTimeoutMs,
      ).then((lists) => lists.flat());
      for (const row of mismatched) {
        deps.mismatches?.inc();
        logger.error(
          { outboxId: row.id, queue: row.queue, jobName: row.jobName },
          'outbox job id already held by another job; the row is given a new id and relayed again',
        );
      }
      const notOurs = new Set(mismatched.map((row) => row.id));
      await markRelayed(
        tx,
        rows.filter((row) => !notOurs.has(row.id)).map((row) => row.id),
      );
      await giveNewJobKeys(tx, [...notOurs]);
      return rows.length;
    });
  }

  /** Relays batch after batch while they come full (more may be due), without waiting for a tick. */
  async function relayWhileFull(): Promise<void> {
    let taken = batchSize;
    while (taken === batchSize && !stopped) taken = await relayOnce();
  }

  async function drain(): Promise<void> {
    try {
      // A backlog (the first batch full) is shared by several rounds at once; SKIP LOCKED keeps
      // their rows apart. Each is waited for, so that stop() returns only once all have ended.
      if ((await relayOnce()) === batchSize) {
        const rounds = await Promise.allSettled(Array.from({ length: concurrency }, relayWhileFull));
        const failed = rounds.find((round) => round.status === 'rejected');
        if (failed) throw failed.reason;
      }
      if (unavailableSince !== null) {
        logger.info({ afterMs: Date.now() - unavailableSince }, 'outbox relay is enqueuing again');
        unavailableSince = null;
      }
    } catch (error) {
      const now = Date.now();
      unavailableSince ??= now;
      if (now - lastWarning >= WARN_EVERY_MS) {
        lastWarning = now;
        // The message only: an error object could carry a job's payload.
        logger.warn(
          { reason: (error as Error).message },
          'outbox relay cannot enqueue; work waits in Postgres and is retried',
        );
      }
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = drain().finally(schedule);
    }, intervalMs);
  }

  return {
    relayOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
