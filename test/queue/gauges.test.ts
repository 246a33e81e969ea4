import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/queue/connection.js';
import { queueGauges, readySince } from '../../src/queue/gauges.js';
import { closeQueues, createQueues, type Queues } from '../../src/queue/queues.js';
import { emptyQueues, uniqueQueuePrefix } from '../fax/harness.js';
import { REDIS_URL } from '../helpers/database.js';

/** pp_queue_waiting and pp_queue_oldest_waiting_seconds, read from real queues with no worker on them. */
const redis = createRedis(REDIS_URL);
let queues: Queues;

beforeAll(() => {
  queues = createQueues(redis, { prefix: `{${uniqueQueuePrefix()}}` });
});
afterAll(async () => {
  await emptyQueues(queues);
  await closeQueues(queues);
  redis.disconnect();
});

const byQueue = (samples: Array<{ labels: { queue: string }; value: number }>) =>
  Object.fromEntries(samples.map((sample) => [sample.labels.queue, sample.value]));

describe('the queue gauges', () => {
  it('count waiting jobs and age the oldest from when it could run, not from when it was made', async () => {
    // Made a minute ago, and another now; a broadcast held for quiet hours waits in the delayed set.
    await queues['sms-send'].add('send', { messageId: 1 }, { jobId: 'old', timestamp: Date.now() - 60_000 });
    await queues['sms-send'].add('send', { messageId: 2 }, { jobId: 'new' });
    await queues.broadcasts.add('fan-out', { broadcastId: 1 }, { jobId: 'held', delay: 3_600_000 });

    const gauges = queueGauges(queues, redis);
    expect(byQueue(await gauges.waiting())).toMatchObject({ 'sms-send': 2, broadcasts: 0, 'fax-render': 0 });
    const ages = byQueue(await gauges.oldest());
    expect(ages['sms-send']).toBeGreaterThanOrEqual(60);
    expect(ages['sms-send']).toBeLessThan(120);
    expect(ages.broadcasts).toBe(0);
  });

  it('count a delayed job from the end of its delay, and one sent back to wait from when it was taken', () => {
    expect(readySince({ timestamp: 1_000 })).toBe(1_000);
    // Made at 1 s to run at 9 s: a broadcast made in quiet hours.
    expect(readySince({ timestamp: 1_000, delay: 8_000 })).toBe(9_000);
    // Taken at 5 s and sent back for 8 h: a text reached in quiet hours.
    expect(readySince({ timestamp: 1_000, processedOn: 5_000, delay: 28_800_000 })).toBe(28_805_000);
  });

  it('reads nothing while Redis is away, rather than waiting for it', async () => {
    const away = createRedis('redis://127.0.0.1:1');
    const gauges = queueGauges(createQueues(away, { prefix: '{pp_away}' }), away);
    await expect(gauges.waiting()).rejects.toThrow('Redis is not connected');
    away.disconnect();
  });
});
