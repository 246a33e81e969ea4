import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp, testConfig } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { PUBLIC_BASE_URL } from '../helpers/phone.js';

export interface BroadcastWorld {
  database: TestDatabase;
  fake: FakeTwilio;
  server: TestApp;
  workers: TestWorkers;
  api: ReturnType<typeof apiAs>;
  staffId: number;
  close(): Promise<void>;
}

/** The app and its workers texting through the fake Twilio, with the real twilio package between. */
export async function startBroadcastWorld(
  options: { env?: Record<string, string>; clock?: () => Date } = {},
): Promise<BroadcastWorld> {
  const database = await createTestDatabase();
  const { accountSid, authToken } = testConfig(database.url).twilio;
  const fake = await startFakeTwilio(accountSid, authToken);
  // The app's own look at the queues (the stuck gauge, the console) sees the workers' jobs.
  const queuePrefix = `{${uniqueQueuePrefix()}}`;
  const env = {
    QUEUE_PREFIX: queuePrefix,
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    TWILIO_API_BASE_URL: fake.url,
    PUBLIC_BASE_URL,
    SMS_MAX_PER_SECOND: '100',
    ...options.env,
  };
  const clock = options.clock ? { clock: options.clock } : {};
  const server = await startTestApp(database, { env, databaseUrl: database.url, ...clock });
  const workers = await startTestWorkers(database, { env, queuePrefix, ...clock });
  const staff = await staffToken(database, 'campaigner');
  return {
    database,
    fake,
    server,
    workers,
    api: apiAs(server.app, staff.token),
    staffId: staff.id,
    async close() {
      await workers.close();
      await server.close();
      await fake.close();
      await database.drop();
    },
  };
}

export interface Member {
  id: number;
  phone: string;
}

const base = randomInt(100_000, 900_000);
let next = 0;

/** Members of the network, written directly as texting JOIN would have left them. */
export async function addMembers(
  world: BroadcastWorld,
  count: number,
  options: { optedIn?: boolean } = {},
): Promise<Member[]> {
  const crypto = createPhoneCrypto(world.server.config.phone);
  const members: Member[] = [];
  for (let i = 0; i < count; i++) {
    const phone = `+4477${base}${String(next++).padStart(3, '0')}`;
    const { rows } = await world.database.pool.query(
      `INSERT INTO supporters (phone_ciphertext, phone_index, opted_in, consent_at, source)
       VALUES ($1, $2, $3, now(), 'sms') RETURNING id`,
      [crypto.encrypt(phone), crypto.blindIndex(phone), options.optedIn ?? true],
    );
    members.push({ id: Number(rows[0].id), phone });
  }
  return members;
}

export async function createBroadcast(
  world: BroadcastWorld,
  campaignId: number,
  body: string,
  audience: 'network' | 'signers' | 'non-signers',
) {
  const response = await world.api({
    method: 'POST',
    url: `/api/v1/campaigns/${campaignId}/broadcasts`,
    payload: { body, audience },
  });
  if (response.statusCode !== 202) throw new Error(`broadcast refused: ${response.body}`);
  return response.json() as {
    id: string;
    status: string;
    audienceSize: number;
    segments: number;
    encoding: string;
    goesOutAt: string | null;
  };
}

export async function progressOf(world: BroadcastWorld, id: string) {
  const response = await world.api({ method: 'GET', url: `/api/v1/broadcasts/${id}` });
  return response.json();
}

export async function waitUntilDone(world: BroadcastWorld, id: string, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const progress = await progressOf(world, id);
      return progress.status === 'done' ? progress : null;
    },
    `broadcast ${id} to finish`,
    timeoutMs,
  );
}

/** The numbers the fake Twilio took a message for, for one text. */
export function recipientsOf(world: BroadcastWorld, bodyStart: string): string[] {
  return world.fake.messages.filter((m) => m.body.startsWith(bodyStart)).map((m) => m.to);
}

/** The fake Twilio's status callbacks, made to the app as Twilio makes them (form, signature). */
export function routeCallbacks(world: BroadcastWorld): void {
  world.fake.callbacks = ({ url, params, signature }) =>
    world.server.app.inject({
      method: 'POST',
      url: new URL(url).pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      payload: new URLSearchParams(params).toString(),
    });
}

/** How many texts each number got from the fake Twilio, for one text: every member once is all 1s. */
export function textsPerNumber(world: BroadcastWorld, bodyStart: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const to of recipientsOf(world, bodyStart)) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

/** A status callback as Twilio sends it, signed (or not) for PUBLIC_BASE_URL. */
export function statusCallback(
  app: FastifyInstance,
  authToken: string,
  params: Record<string, string>,
  signWith = authToken,
) {
  const signature = twilio.getExpectedTwilioSignature(
    signWith,
    `${PUBLIC_BASE_URL}/webhooks/twilio/status`,
    params,
  );
  return app.inject({
    method: 'POST',
    url: '/webhooks/twilio/status',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    payload: new URLSearchParams(params).toString(),
  });
}

export { waitFor };
