import { randomInt } from 'node:crypto';
import { createDatabase, type Database } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp, testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { listenForTexts, PUBLIC_BASE_URL, type TextFn } from '../helpers/phone.js';

/**
 * The product as a failover test runs it: a web process and a worker process (in this process, each
 * with its own connections), the fake Twilio, an open campaign, and the stores the test gives
 * (`env`: where Redis is; `databaseUrl`: where Postgres is).
 */
export interface HaWorld {
  database: Database;
  fake: FakeTwilio;
  web: TestApp[];
  workers: TestWorkers;
  text: TextFn[];
  api: ReturnType<typeof apiAs>;
  campaignId: number;
  keyword: string;
  queuePrefix: string;
  close(): Promise<void>;
}

export async function startHaWorld(options: {
  databaseUrl: string;
  env: Record<string, string>;
  keyword: string;
  /** Web processes sharing the stores (two, for limits that must hold across processes). */
  webCount?: number;
  smsPerSecond?: number;
}): Promise<HaWorld> {
  await migrateDatabase(options.databaseUrl);
  const database = createDatabase(options.databaseUrl, { max: 20 });
  const { accountSid, authToken } = testConfig(options.databaseUrl).twilio;
  const fake = await startFakeTwilio(accountSid, authToken);
  const queuePrefix = `{${uniqueQueuePrefix()}}`;
  const env = {
    QUEUE_PREFIX: queuePrefix,
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    TWILIO_API_BASE_URL: fake.url,
    PUBLIC_BASE_URL,
    SMS_MAX_PER_SECOND: String(options.smsPerSecond ?? 100),
    ...options.env,
  };
  const web: TestApp[] = [];
  for (let i = 0; i < (options.webCount ?? 1); i++) {
    // Each web process its own pool, as separate processes have.
    const own = createDatabase(options.databaseUrl, { max: 20 });
    const app = await startTestApp(own, { env, databaseUrl: options.databaseUrl });
    const close = app.close;
    web.push({
      ...app,
      async close() {
        await close();
        await own.close();
      },
    });
  }
  const workerDatabase = createDatabase(options.databaseUrl, { max: 40 });
  const workers = await startTestWorkers(
    { ...workerDatabase, url: options.databaseUrl, drop: async () => {} },
    { env, queuePrefix },
  );
  const text = await Promise.all(web.map((app) => listenForTexts(app)));
  const staff = await staffToken(database, 'admin');
  const campaign = await openCampaign(database, {
    keyword: options.keyword,
    title: `Failover ${options.keyword}`,
    letter: { body: 'Please act.' },
    targets: [{ name: 'Minister', salutation: 'Dear Minister', faxNumbers: ['+442079460111'] }],
  });
  return {
    database,
    fake,
    web,
    workers,
    text,
    api: apiAs((web[0] as TestApp).app, staff.token),
    campaignId: Number(campaign.id),
    keyword: options.keyword,
    queuePrefix,
    async close() {
      await workers.close().catch(() => {});
      for (const app of web) await app.close().catch(() => {});
      await fake.close();
      // Bounded: a connection the pool never got back must not hold the test.
      await Promise.race([
        Promise.all([database.close(), workerDatabase.close()]),
        new Promise((resolve) => setTimeout(resolve, 5_000)),
      ]);
    },
  };
}

/** UK mobile numbers: +44 7, then nine digits. */
const memberBase = randomInt(100, 999);

/** `count` opted-in members of the network, written in one statement as joining by text leaves them. */
export async function addMembers(world: HaWorld, count: number): Promise<string[]> {
  const crypto = createPhoneCrypto((world.web[0] as TestApp).config.phone);
  const phones = Array.from({ length: count }, (_, i) => `+4478${memberBase}${String(i).padStart(5, '0')}`);
  await world.database.pool.query(
    `INSERT INTO supporters (phone_ciphertext, phone_index, opted_in, consent_at, source)
     SELECT c, i, true, now(), 'sms' FROM unnest($1::text[], $2::text[]) AS t(c, i)`,
    [phones.map((p) => crypto.encrypt(p)), phones.map((p) => crypto.blindIndex(p))],
  );
  return phones;
}

export async function startBroadcast(world: HaWorld, body: string): Promise<string> {
  const response = await world.api({
    method: 'POST',
    url: `/api/v1/campaigns/${world.campaignId}/broadcasts`,
    payload: { body, audience: 'network' },
  });
  if (response.statusCode !== 202) throw new Error(`broadcast refused: ${response.body}`);
  return (response.json() as { id: string }).id;
}

export async function broadcastStatus(world: HaWorld, id: string): Promise<{ status: string; sent: number }> {
  const { rows } = await world.database.pool.query<{ status: string; sent: number }>(
    `SELECT b.status::text, (SELECT count(*)::int FROM outbound_messages m
       WHERE m.broadcast_id = b.id AND m.status NOT IN ('queued', 'sending')) AS sent
     FROM broadcasts b WHERE b.id = $1`,
    [id],
  );
  return rows[0] ?? { status: 'missing', sent: 0 };
}

/** A distinct valid name for the n-th supporter of a flood: letters only. */
export function floodName(n: number): string {
  const letters = (k: number) =>
    `${String.fromCharCode(65 + (k % 26))}${String.fromCharCode(97 + (Math.floor(k / 26) % 26))}${String.fromCharCode(97 + (Math.floor(k / 676) % 26))}`;
  return `Jo ${letters(n)}son`;
}

const floodBase = randomInt(100, 999);
export const floodPhone = (n: number) => `+4479${floodBase}${String(n).padStart(5, '0')}`;

export interface Flood {
  /** Texts sent, each once; `answered` holds each reply's status and TwiML messages. */
  sent: number;
  answered: Array<{ from: string; status: number; messages: string[] }>;
  stop(): Promise<void>;
}

/**
 * New supporters texting the keyword and a name, `concurrency` at a time across the web processes,
 * until `stop()`: each text is sent once, as Twilio sends it (no retry on a failure).
 */
export function startFlood(world: HaWorld, concurrency = 4, max = 3_000): Flood {
  let stopped = false;
  let next = 0;
  const flood: Flood = {
    sent: 0,
    answered: [],
    async stop() {
      stopped = true;
      await running;
    },
  };
  const lane = async (laneIndex: number) => {
    while (!stopped && next < max) {
      const n = next++;
      const from = floodPhone(n);
      const text = world.text[(laneIndex + n) % world.text.length] as TextFn;
      flood.sent++;
      const reply = await text(from, `${world.keyword} ${floodName(n)}`).catch(() => ({
        status: 0,
        messages: [] as string[],
      }));
      flood.answered.push({ from, status: reply.status, messages: reply.messages });
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, (_, i) => lane(i)));
  return flood;
}

/** Per flood sender: replies in the TwiML plus texts the fake Twilio took for them. */
export function repliesPerSender(world: HaWorld, flood: Flood): Map<string, number> {
  const counts = new Map<string, number>();
  for (const answer of flood.answered) counts.set(answer.from, answer.messages.length);
  for (const message of world.fake.messages) {
    const count = counts.get(message.to);
    if (count !== undefined) counts.set(message.to, count + 1);
  }
  return counts;
}

export async function signaturesBy(world: HaWorld): Promise<number> {
  const { rows } = await world.database.pool.query<{ n: number; names: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT name)::int AS names FROM signatures WHERE campaign_id = $1`,
    [world.campaignId],
  );
  const row = rows[0] ?? { n: 0, names: 0 };
  if (row.n !== row.names) throw new Error(`${row.n - row.names} names signed twice`);
  return row.n;
}

/** How many texts the web processes spooled (their counters). */
export async function spooledTexts(world: HaWorld): Promise<number> {
  let total = 0;
  for (const app of world.web) {
    const metrics = (await app.app.inject('/metrics')).body;
    for (const match of metrics.matchAll(/^pp_sms_spooled_total\{store="\w+"\} (\d+)/gm))
      total += Number(match[1]);
  }
  return total;
}

export { waitFor };

/** Texts the fake Twilio took per number, for `numbers`. */
export function textsPerNumber(world: HaWorld, numbers: string[]): Map<string, number> {
  const counts = new Map(numbers.map((n) => [n, 0]));
  for (const message of world.fake.messages) {
    const n = counts.get(message.to);
    if (n !== undefined) counts.set(message.to, n + 1);
  }
  return counts;
}

/** Jobs the workers' watchdog made again (outbox rows whose job was gone, texts no job would send). */
export function recoveredByWatchdog(world: HaWorld): number {
  let total = 0;
  for (const line of world.workers.logs.lines) {
    if (!line.includes('stuck work driven on')) continue;
    const entry = JSON.parse(line) as Record<string, unknown>;
    for (const source of ['outbox', 'texts']) {
      const requeued = (entry[source] as { requeued?: number } | undefined)?.requeued;
      if (typeof requeued === 'number') total += requeued;
    }
  }
  return total;
}
