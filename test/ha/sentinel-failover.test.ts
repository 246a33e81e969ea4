import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';
import { type SentinelGroup, startSentinelGroup } from '../helpers/redis-group.js';
import {
  addMembers,
  broadcastStatus,
  type HaWorld,
  recoveredByWatchdog,
  repliesPerSender,
  signaturesBy,
  startBroadcast,
  startFlood,
  startHaWorld,
  textsPerNumber,
  waitFor,
} from './world.js';

/**
 * Redis under Sentinel loses its master (SIGKILL) while a broadcast goes out and new supporters text
 * in: the processes follow the promoted replica without a restart, and nothing is lost or doubled.
 */
let group: SentinelGroup;
let world: HaWorld;
const databaseUrl = uniqueDatabaseUrl();

beforeAll(async () => {
  group = await startSentinelGroup();
  world = await startHaWorld({
    databaseUrl,
    // The test helpers default to REDIS_URL: unset here, the sentinels are the one way given.
    env: { REDIS_URL: '', ...group.env },
    keyword: 'SENTINEL',
    smsPerSecond: 60,
  });
}, 120_000);

afterAll(async () => {
  try {
    await world?.close();
  } finally {
    await group?.stop();
    await dropDatabase(databaseUrl);
  }
});

const PERIODIC = ['close-expired-campaigns', 'recheck-names', 'retention', 'scheduled-batches', 'watchdog'];

async function redisCheck(): Promise<string> {
  const ready = await world.web[0]?.app.inject('/readyz');
  return ready ? (ready.json() as { checks: { redis: string } }).checks.redis : 'none';
}

describe('a Redis Sentinel failover (the master SIGKILLed)', () => {
  it('texts every member once, answers and signs every text once, and is ready on the new master without a restart', async () => {
    const members = await addMembers(world, 800);
    // The replica cut off first: the broadcast's jobs, added and run on the master from here on, are
    // acknowledged and never replicated, as the last writes of a master lost in a partition.
    await group.partition();
    const broadcastId = await startBroadcast(
      world,
      'Urgent: write to the minister today. Text SENTINEL to sign.',
    );
    const flood = startFlood(world);
    // At most a few seconds cut off: sentinels pass over a replica whose link has been down for long.
    const cutAt = Date.now();
    await waitFor(
      async () => (await broadcastStatus(world, broadcastId)).sent >= 20 || Date.now() - cutAt > 5_000,
      'the broadcast under way',
    );
    const oldMaster = await group.killMaster();
    const killedAt = Date.now();
    await waitFor(
      async () => (await group.masterPort()) !== oldMaster,
      'the sentinels to promote the replica',
      60_000,
    );
    const promotedAt = Date.now();
    await waitFor(async () => (await redisCheck()) === 'up', 'the web process on the new master', 60_000);
    const followedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await flood.stop();

    // Texts were answered throughout: Redis only carries work.
    expect(flood.answered.filter((a) => a.status !== 200)).toEqual([]);
    const done = await waitFor(
      async () => ((await broadcastStatus(world, broadcastId)).status === 'done' ? Date.now() : null),
      'the broadcast to finish',
      120_000,
    );
    await waitFor(
      async () => [...repliesPerSender(world, flood).values()].every((n) => n > 0),
      'every sender answered',
      30_000,
    );
    expect([...repliesPerSender(world, flood).values()].filter((n) => n !== 1)).toEqual([]);
    expect(await signaturesBy(world)).toBe(flood.sent);
    const perMember = textsPerNumber(world, members);
    expect([...perMember.values()].filter((n) => n !== 1)).toEqual([]);

    // The periodic jobs are on the new master, and every process is ready on it.
    const schedulers = await waitFor(
      async () => {
        const keys = (await world.workers.workers.queues.maintenance.getJobSchedulers())
          .map((s) => s.key)
          .sort();
        return keys.length === PERIODIC.length ? keys : null;
      },
      'the periodic jobs on the new master',
      30_000,
    );
    expect(schedulers).toEqual(PERIODIC);
    for (const web of world.web) {
      expect((await web.app.inject('/readyz')).json()).toMatchObject({ status: 'ready' });
    }
    console.log(
      `sentinel failover: replica promoted ${((promotedAt - killedAt) / 1000).toFixed(1)} s after the kill, ` +
        `web on the new master ${((followedAt - killedAt) / 1000).toFixed(1)} s after it; ${flood.sent} texts; ` +
        `broadcast of ${members.length} done ${((done - killedAt) / 1000).toFixed(1)} s after the kill; ` +
        `watchdog recovered ${recoveredByWatchdog(world)} jobs`,
    );
  });
});
