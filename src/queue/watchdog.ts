import { QueueKeys } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import type { Db, Tx } from '../db/client.js';
import type { StuckItem, StuckSource } from '../ops/stuck.js';
import { type RedisClient, redisNotReady } from './connection.js';
import {
  countUnrelayed,
  deleteRelayedBefore,
  jobsForIds,
  type OutboxJobSince,
  recentlyRelayedJobs,
  requeueSettled,
  unrelayedJobs,
} from './outbox.repository.js';
import { type QueueName, SHORTEST_JOB_RETENTION_MS } from './queues.js';
import { outboxJobId, QueuesUnavailable, withTimeout } from './relay.js';

/**
 * Rows relayed within this window whose job Redis no longer holds were lost: every queue keeps its
 * finished jobs at least twice as long.
 */
const LOST_WINDOW_SECONDS = Math.floor(SHORTEST_JOB_RETENTION_MS / 2_000);
/**
 * A row relayed this recently is left alone: its add may still be on its way. The relay marks a row in
 * the transaction that made its add, so a visible row's add is done; the wait only has to outlast one
 * watchdog pass (its UPDATE checks it again). Short, because a Redis failover loses the jobs the old
 * master took last, and the workers look again this long after their connection is back.
 */
export const SETTLE_SECONDS = 30;
/**
 * Relayed rows are kept as long as BullMQ keeps a failed job (30 days), then deleted a batch at a time:
 * past that nothing can dedupe against them, and a broadcast adds a row a text.
 */
const PRUNE_AFTER_DAYS = 35;
const PRUNE_BATCH = 10_000;
/** Due rows not relayed for this long: the relay cannot reach Redis, or no worker process runs. */
const UNRELAYED_AFTER_SECONDS = 5 * 60;
/** Keys asked of Redis in one round trip. */
const PIPELINE_CHUNK = 1_000;
const REDIS_TIMEOUT_MS = 10_000;
/** Items listed per kind: enough to see what is stuck; the counts tell how much. */
const ITEMS_PER_KIND = 100;

/** The ids a job's payload carries that lead to a console page; nothing else of the payload is shown. */
function links(payload: unknown): Pick<StuckItem, 'campaignId' | 'batchId' | 'broadcastId' | 'deliveryId'> {
  const data = (payload ?? {}) as Record<string, unknown>;
  const id = (key: string) => (typeof data[key] === 'number' ? (data[key] as number) : null);
  return {
    campaignId: id('campaignId'),
    batchId: id('batchId'),
    broadcastId: id('broadcastId'),
    deliveryId: id('deliveryId'),
  };
}

export interface OutboxWatchdog extends StuckSource {
  /** Rows relayed recently whose job Redis lost get a new job id and wait for the relay again. */
  driveStuck(): Promise<{ requeued: number }>;
  /**
   * Which of `ids` (the `field` of `queue`/`jobName` payloads) still have work coming: a row not yet
   * relayed, or a job in Redis that has not finished. Run in the caller's transaction.
   */
  withLiveJob(tx: Tx, queue: QueueName, jobName: string, field: string, ids: number[]): Promise<Set<number>>;
}

/**
 * Finds the outbox's work that the queues lost or never got. Redis only carries work, so a job it lost
 * is made again from its row: processors are idempotent, and the work is done once.
 */
export function createOutboxWatchdog({
  db,
  redis,
  prefix,
}: {
  db: Db;
  redis: RedisClient;
  prefix: string;
}): OutboxWatchdog {
  const keys = new QueueKeys(prefix);
  const jobKeyOf = (queue: string, jobKey: string) => keys.toKey(queue, outboxJobId(jobKey));

  /** One reply per key, a chunk of keys per round trip; fails rather than waits while Redis is away. */
  async function ask<T>(keysToAsk: string[], command: (pipeline: ChainableCommander, key: string) => void) {
    if (keysToAsk.length === 0) return [];
    if (redis.status !== 'ready') throw new QueuesUnavailable(redisNotReady(redis.status));
    const replies: T[] = [];
    for (let start = 0; start < keysToAsk.length; start += PIPELINE_CHUNK) {
      const pipeline = redis.pipeline();
      for (const key of keysToAsk.slice(start, start + PIPELINE_CHUNK)) command(pipeline, key);
      const answers = (await withTimeout(pipeline.exec(), REDIS_TIMEOUT_MS)) ?? [];
      for (const [error, value] of answers) {
        if (error) throw error;
        replies.push(value as T);
      }
    }
    return replies;
  }

  async function lostRows(): Promise<OutboxJobSince[]> {
    if (redis.status !== 'ready') throw new QueuesUnavailable(redisNotReady(redis.status));
    const rows = await recentlyRelayedJobs(db, LOST_WINDOW_SECONDS, SETTLE_SECONDS);
    const exists = await ask<number>(
      rows.map((row) => jobKeyOf(row.queue, row.jobKey)),
      (pipeline, key) => pipeline.exists(key),
    );
    return rows.filter((_, i) => exists[i] === 0);
  }

  return {
    async driveStuck() {
      await deleteRelayedBefore(db, PRUNE_AFTER_DAYS, PRUNE_BATCH);
      const lost = await lostRows();
      if (lost.length === 0) return { requeued: 0 };
      // Still relayed and settled: a row another watchdog made pending, and the relay added again
      // since, is not touched twice.
      const requeued = await requeueSettled(
        db,
        lost.map((row) => row.id),
        SETTLE_SECONDS,
      );
      return { requeued };
    },

    async stuckCounts() {
      const counts: Record<string, number> = {
        'outbox-unrelayed': await countUnrelayed(db, UNRELAYED_AFTER_SECONDS),
      };
      // Without Redis, whether a job is gone cannot be told: the kind is left out rather than guessed.
      if (redis.status === 'ready') counts['outbox-job-missing'] = (await lostRows()).length;
      return counts;
    },

    async stuckItems() {
      const rows = await unrelayedJobs(db, UNRELAYED_AFTER_SECONDS, ITEMS_PER_KIND);
      const items: StuckItem[] = rows.map((row) => ({
        kind: 'outbox-unrelayed',
        since: row.since,
        reason: `${row.queue} job ${row.jobName} not handed to the queues`,
        ...links(row.payload),
      }));
      if (redis.status === 'ready') {
        for (const row of (await lostRows()).slice(0, ITEMS_PER_KIND)) {
          items.push({
            kind: 'outbox-job-missing',
            since: row.since,
            reason: `${row.queue} job ${row.jobName} relayed, then gone from Redis`,
            ...links(row.payload),
          });
        }
      }
      return items;
    },

    async withLiveJob(tx, queue, jobName, field, ids) {
      if (ids.length === 0) return new Set();
      const rows = await jobsForIds(tx, queue, jobName, field, ids);
      const live = new Set(rows.filter((row) => row.pending).map((row) => row.id));
      const relayed = rows.filter((row) => !row.pending && !live.has(row.id));
      // A job's hash always has its `timestamp`; `finishedOn` is set once it completed or failed for good.
      const fields = await ask<[string | null, string | null]>(
        relayed.map((row) => jobKeyOf(queue, row.jobKey)),
        (pipeline, key) => pipeline.hmget(key, 'timestamp', 'finishedOn'),
      );
      relayed.forEach((row, i) => {
        const [timestamp, finishedOn] = fields[i] ?? [null, null];
        if (timestamp !== null && finishedOn === null) live.add(row.id);
      });
      return live;
    },
  };
}
