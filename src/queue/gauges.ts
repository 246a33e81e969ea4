import type { Sample } from '../ops/metrics.js';
import type { RedisClient } from './connection.js';
import { QUEUE_NAMES, type Queues } from './queues.js';

/** One look at the queues serves both gauges of a scrape. */
const CACHE_MS = 2_000;

interface QueueLook {
  waiting: Sample<'queue'>[];
  oldest: Sample<'queue'>[];
}

/**
 * When a waiting job could first run: when it was made, or the end of the delay it was last given
 * (BullMQ keeps the delay; a job sent back to wait by its processor, as in quiet hours, counts it from
 * when it was last taken).
 */
export function readySince(job: { timestamp: number; processedOn?: number; delay?: number }): number {
  return (job.processedOn ?? job.timestamp) + (job.delay ?? 0);
}

/**
 * pp_queue_waiting{queue} and pp_queue_oldest_waiting_seconds{queue}, read from BullMQ's wait lists.
 * A job is waiting from when it could first run: its creation, or the end of the delay it was last
 * given (quiet hours, a retry's backoff), so a broadcast released at 08:00 is not hours old at 08:01.
 * Nothing is read while Redis is away: its commands would wait for it, and the scrape with them.
 */
export function queueGauges(queues: Queues, redis: RedisClient, clock: () => number = Date.now) {
  let cached: { at: number; look: Promise<QueueLook> } | null = null;
  async function look(): Promise<QueueLook> {
    if (redis.status !== 'ready') throw new Error('Redis is not connected');
    const now = clock();
    const each = await Promise.all(
      QUEUE_NAMES.map(async (queue) => {
        const [count, [oldest]] = await Promise.all([
          queues[queue].getWaitingCount(),
          queues[queue].getJobs(['wait'], 0, 0, true),
        ]);
        return { queue, count, age: oldest ? Math.max(0, (now - readySince(oldest)) / 1000) : 0 };
      }),
    );
    return {
      waiting: each.map(({ queue, count }) => ({ labels: { queue }, value: count })),
      oldest: each.map(({ queue, age }) => ({ labels: { queue }, value: age })),
    };
  }
  const shared = () => {
    const now = clock();
    if (!cached || now - cached.at >= CACHE_MS) cached = { at: now, look: look() };
    return cached.look;
  };
  return {
    waiting: async () => (await shared()).waiting,
    oldest: async () => (await shared()).oldest,
  };
}
