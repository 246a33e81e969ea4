import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnPostgresNode, startPrimaryAndStandby } from '../helpers/postgres-server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import {
  addMembers,
  broadcastStatus,
  type HaWorld,
  repliesPerSender,
  signaturesBy,
  spooledTexts,
  startBroadcast,
  startFlood,
  startHaWorld,
  textsPerNumber,
  waitFor,
} from './world.js';

/**
 * Postgres failing over as a managed service does it: a primary and a synchronous standby behind one
 * address (a TCP proxy); the primary crashes, the address moves to the standby while it is still
 * read-only, then the standby is promoted. Texts keep coming, each delivered once.
 */
let primary: OwnPostgresNode;
let standby: OwnPostgresNode;
let proxy: TcpProxy;
let world: HaWorld;

beforeAll(async () => {
  ({ primary, standby } = await startPrimaryAndStandby());
  proxy = await startTcpProxy(primary.port);
  world = await startHaWorld({
    databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/pocketprotest_ha`,
    env: {},
    keyword: 'FAILOVER',
    smsPerSecond: 40,
  });
}, 120_000);

afterAll(async () => {
  try {
    await world?.close();
    await proxy?.close();
  } finally {
    await primary?.destroy();
    await standby?.destroy();
  }
});

describe('a Postgres failover (primary lost, address on the read-only standby, then promoted)', () => {
  it('answers every text, signs each once, texts every member once, and finishes the broadcast within a minute of the promotion', async () => {
    const members = await addMembers(world, 500);
    const broadcastId = await startBroadcast(world, 'Urgent: the hearing is at 10am. Text FAILOVER to sign.');
    const flood = startFlood(world);
    await waitFor(
      async () => (await broadcastStatus(world, broadcastId)).sent >= 100,
      'a fifth of the broadcast',
      60_000,
    );

    await primary.crash();
    proxy.pointAt(standby.port);
    // The address reaches a standby that refuses writes for a while (25006), as in a managed failover.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await standby.promote();
    const promotedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await flood.stop();

    // Every text answered 200 at once: stored and answered, or spooled and answered by a text later.
    expect(flood.answered.filter((a) => a.status !== 200)).toEqual([]);
    const done = await waitFor(
      async () => ((await broadcastStatus(world, broadcastId)).status === 'done' ? Date.now() : null),
      'the broadcast to finish',
      60_000,
    );
    await waitFor(
      async () => [...repliesPerSender(world, flood).values()].every((n) => n > 0),
      'every sender to be answered',
      60_000,
    );
    await waitFor(async () => (await signaturesBy(world)) === flood.sent, 'every text signed', 30_000);

    const replies = repliesPerSender(world, flood);
    expect([...replies.values()].filter((n) => n !== 1)).toEqual([]);
    expect(await signaturesBy(world)).toBe(flood.sent);
    const perMember = textsPerNumber(world, members);
    expect([...perMember.values()].filter((n) => n !== 1)).toEqual([]);
    expect(done - promotedAt).toBeLessThan(60_000);

    const spooled = await spooledTexts(world);
    console.log(
      `postgres failover: ${flood.sent} texts, ${spooled} spooled, broadcast of ${members.length} done ${Math.round((done - promotedAt) / 100) / 10} s after the promotion`,
    );
  });
});
