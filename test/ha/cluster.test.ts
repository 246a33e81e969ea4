import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMessageSid, signedSmsRequest } from '../../src/sms/simulator.js';
import { apiAs, staffToken } from '../helpers/api.js';
import type { TestApp } from '../helpers/app.js';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-group.js';
import {
  addMembers,
  broadcastStatus,
  floodName,
  floodPhone,
  type HaWorld,
  signaturesBy,
  startBroadcast,
  startHaWorld,
  textsPerNumber,
  waitFor,
} from './world.js';

/**
 * The product on a Redis Cluster of three masters: every key it writes lives in its prefix's slot, so
 * queues, the outbox relay, the spool stream and its lock, the send rate and the staff limits work as
 * on one server; two web processes share the limits.
 */
let cluster: RedisCluster;
let world: HaWorld;
const databaseUrl = uniqueDatabaseUrl();
const outboxDir = mkdtempSync(join(tmpdir(), 'pp-cluster-fax-'));

beforeAll(async () => {
  cluster = await startRedisCluster();
  world = await startHaWorld({
    databaseUrl,
    env: { REDIS_URL: '', ...cluster.env, API_REQUESTS_PER_MINUTE: '6', FAX_OUTBOX_DIR: outboxDir },
    keyword: 'CLUSTER',
    webCount: 2,
  });
}, 120_000);

afterAll(async () => {
  try {
    await world?.close();
  } finally {
    await cluster?.stop();
    await dropDatabase(databaseUrl);
    rmSync(outboxDir, { recursive: true, force: true });
  }
});

const web = (i: number) => world.web[i] as TestApp;

describe('on a Redis Cluster of three masters', () => {
  it('signs texts through both web processes, and replays one spooled through the fallback URL', async () => {
    for (let n = 0; n < 20; n++) {
      const reply = await (world.text[n % 2] as (typeof world.text)[0])(
        floodPhone(n),
        `CLUSTER ${floodName(n)}`,
      );
      expect(reply.status).toBe(200);
      expect(reply.messages.join('')).toContain(floodName(n));
    }
    // The fallback URL spools to the stream (and its drain lock) in the prefix's slot; a worker replays it.
    const { config } = web(1);
    const request = signedSmsRequest({
      serverUrl: '',
      publicBaseUrl: config.publicBaseUrl,
      authToken: config.twilio.authToken,
      accountSid: config.twilio.accountSid,
      from: floodPhone(20),
      body: `CLUSTER ${floodName(20)}`,
      messageSid: newMessageSid(),
      path: '/webhooks/twilio/sms-fallback',
    });
    const fallback = await web(1).app.inject({
      method: 'POST',
      url: '/webhooks/twilio/sms-fallback',
      headers: request.headers,
      payload: request.body,
    });
    expect(fallback.statusCode).toBe(200);
    await waitFor(
      async () => (textsPerNumber(world, [floodPhone(20)]).get(floodPhone(20)) ?? 0) > 0,
      'the replay',
      30_000,
    );
    expect(await signaturesBy(world)).toBe(21);
  });

  it('sends a broadcast to every member once', async () => {
    const members = await addMembers(world, 200);
    const id = await startBroadcast(world, 'Good news: the minister replied. Text STOP AMNESTY to opt out');
    await waitFor(async () => (await broadcastStatus(world, id)).status === 'done', 'the broadcast', 60_000);
    expect([...textsPerNumber(world, members).values()].filter((n) => n !== 1)).toEqual([]);
  });

  it('makes and writes a fax batch of the names signed', async () => {
    const created = await world.api({
      method: 'POST',
      url: `/api/v1/campaigns/${world.campaignId}/fax-batches`,
    });
    expect(created.statusCode).toBe(202);
    const batchId = (created.json() as { id: string }).id;
    // Polled in the database: the API's per-token rate is kept low for the last test.
    await waitFor(
      async () => {
        const { rows } = await world.database.pool.query(
          'SELECT status::text FROM fax_batches WHERE id = $1',
          [batchId],
        );
        return rows[0]?.status === 'written';
      },
      'the batch written',
      60_000,
    );
    const batch = (await world.api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json();
    expect(batch).toMatchObject({ signatureCount: 21, status: 'written' });
  });

  it('holds the staff API rate across the two web processes', async () => {
    // A token of its own: the other tests' requests count against theirs.
    const { token } = await staffToken(world.database, 'viewer');
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await apiAs(web(i % 2).app, token)({ method: 'GET', url: '/api/v1/campaigns' });
      codes.push(response.statusCode);
    }
    // Six a minute for the token, counted once across both processes (each alone would allow six).
    expect(codes.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(codes.slice(6)).toEqual([429, 429]);
  });
});
