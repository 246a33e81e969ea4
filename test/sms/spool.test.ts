import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import {
  newMessageSid,
  sendSimulatedText,
  signedSmsRequest,
  twimlMessages,
} from '../../src/sms/simulator.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { startTestWorkers, type TestWorkers, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { startTestApp, type TestApp, testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { UNREACHABLE_REDIS_URL } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { listenForTexts, PUBLIC_BASE_URL } from '../helpers/phone.js';
import { type OwnPostgres, startOwnPostgres } from '../helpers/postgres-server.js';
import { workerProcesses } from '../helpers/worker-process.js';

/**
 * Postgres goes away (a server of the test's own, stopped and started again) while supporters text:
 * every text is spooled, answered 200, and once Postgres is back signed and answered by a text, once.
 */
let pg: OwnPostgres;
let database: Database;
let databaseUrl: string;
let fake: FakeTwilio;
let server: TestApp;
let workers: TestWorkers;
const queuePrefix = `{${uniqueQueuePrefix()}}`;
let campaignId: number;

const phoneBase = 447_700_000_000 + Math.floor(Math.random() * 800_000) * 1_000;
const phone = (n: number) => `+${phoneBase + n}`;
/** A distinct, valid name for the n-th supporter: letters only. */
const nameOf = (n: number) =>
  `Jane ${String.fromCharCode(65 + (n % 26))}${String.fromCharCode(97 + Math.floor(n / 26))}ley`;

/** The texts the fake Twilio took, per number. */
function textsTo(numbers: string[]): Map<string, string[]> {
  const taken = new Map<string, string[]>(numbers.map((n) => [n, []]));
  for (const message of fake.messages) taken.get(message.to)?.push(message.body);
  return taken;
}

async function signaturesOf(numbers: number): Promise<number> {
  const { rows } = await database.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM signatures WHERE campaign_id = $1',
    [campaignId],
  );
  return rows[0]?.n === undefined ? 0 : rows[0].n - numbers;
}

beforeAll(async () => {
  pg = await startOwnPostgres();
  databaseUrl = `${pg.url}/pocketprotest_spool`;
  await migrateDatabase(databaseUrl);
  database = createDatabase(databaseUrl, { max: 20 });
  const { accountSid, authToken } = testConfig(databaseUrl).twilio;
  fake = await startFakeTwilio(accountSid, authToken);
  const env = {
    QUEUE_PREFIX: queuePrefix,
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    TWILIO_API_BASE_URL: fake.url,
    PUBLIC_BASE_URL,
    SMS_MAX_PER_SECOND: '200',
  };
  server = await startTestApp(database, { env, databaseUrl });
  const testDatabase = { ...database, url: databaseUrl, drop: async () => {} };
  workers = await startTestWorkers(testDatabase, { env, queuePrefix });
  const campaign = await openCampaign(database, {
    keyword: 'OUTAGE',
    title: 'Outage',
    letter: { body: 'Please.' },
    targets: [{ name: 'X', salutation: 'Dear X', faxNumbers: ['+442079460111'] }],
  });
  campaignId = Number(campaign.id);
}, 60_000);

afterAll(async () => {
  try {
    await workers?.close();
    await server?.close();
    await fake?.close();
    // Bounded: a connection the pool never got back must not keep the server running.
    await Promise.race([database?.close(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
  } finally {
    await pg?.destroy();
  }
});

describe('a Postgres outage', () => {
  it('loses no text: 100 texts spooled in Redis are signed and each answered once, a STOP honoured', async () => {
    const text = await listenForTexts(server);
    const stopper = phone(0);
    expect((await text(stopper, 'JOIN Sam Stone')).messages).toHaveLength(1);
    const signers = Array.from({ length: 99 }, (_, i) => phone(i + 1));

    await pg.stop();
    const downAt = Date.now();
    const ready = await server.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'degraded',
      checks: { db: 'down', redis: 'up', spool: 'in use' },
    });

    // Each text arrives once, as Twilio sends it: the STOP among them.
    const bodies: Array<readonly [string, string]> = signers.map((number, i) => [
      number,
      `OUTAGE ${nameOf(i)}`,
    ]);
    bodies.splice(50, 0, [stopper, 'STOP AMNESTY']);
    for (let i = 0; i < bodies.length; i += 10) {
      const replies = await Promise.all(bodies.slice(i, i + 10).map(([from, body]) => text(from, body)));
      for (const reply of replies) expect(reply).toMatchObject({ status: 200, messages: [] });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 5_000 - (Date.now() - downAt))));
    expect(fake.messages).toHaveLength(0);
    await pg.start();

    const everyone = [stopper, ...signers];
    await waitFor(
      async () => [...textsTo(everyone).values()].every((texts) => texts.length > 0),
      'every sender to be answered',
      30_000,
    );
    // Settled: every reply sent, nothing left in the stream to replay again.
    await waitFor(async () => {
      const { rows } = await database.pool.query<{ open: number; n: number }>(
        `SELECT count(*) FILTER (WHERE status IN ('queued', 'sending'))::int AS open, count(*)::int AS n
             FROM outbound_messages WHERE in_reply_to IS NOT NULL`,
      );
      const depth = (await server.app.inject('/metrics')).body;
      return rows[0]?.open === 0 && depth.includes('pp_sms_spool_depth{store="redis"} 0');
    }, 'the replies to settle');

    const taken = textsTo(everyone);
    for (const texts of taken.values()) expect(texts).toHaveLength(1);
    expect(taken.get(stopper)?.[0]).toContain('no more messages');
    for (const number of signers) expect(taken.get(number)?.[0]).toContain('Jane');
    expect(await signaturesOf(0)).toBe(99);
    const { rows } = await database.pool.query<{ opted_in: boolean }>(
      'SELECT opted_in FROM supporters WHERE consent_message_sid IS NOT NULL AND name = $1',
      ['Sam Stone'],
    );
    expect(rows).toEqual([{ opted_in: false }]);
    const metrics = (await server.app.inject('/metrics')).body;
    expect(metrics).toContain('pp_sms_spooled_total{store="redis"} 100');
  }, 60_000);

  it('a web process killed with texts in its file spool (Redis down too) replays them when it starts again', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'pp-spool-web-'));
    const port = await freePort();
    const config = testConfig(databaseUrl);
    const web = workerProcesses(
      {
        NODE_ENV: 'test',
        DATABASE_URL: databaseUrl,
        REDIS_URL: UNREACHABLE_REDIS_URL,
        SPOOL_DIR: spoolDir,
        PUBLIC_BASE_URL,
        PORT: String(port),
        QUEUE_PREFIX: queuePrefix,
        SMS_QUIET_HOURS: 'off',
        LOG_LEVEL: 'warn',
      },
      join(import.meta.dirname, 'web-process.ts'),
    );
    try {
      await pg.stop();
      const first = await web.start();
      const numbers = Array.from({ length: 5 }, (_, i) => phone(200 + i));
      for (const [i, from] of numbers.entries()) {
        const reply = await sendSimulatedText({
          serverUrl: `http://127.0.0.1:${port}`,
          publicBaseUrl: PUBLIC_BASE_URL,
          authToken: config.twilio.authToken,
          accountSid: config.twilio.accountSid,
          from,
          body: `OUTAGE ${nameOf(200 + i)}`,
        });
        expect(reply).toMatchObject({ status: 200, messages: [] });
      }
      const [file, ...others] = readdirSync(spoolDir);
      expect(others).toEqual([]);
      const spooled = readFileSync(join(spoolDir, file ?? ''), 'utf8');
      expect(spooled.trim().split('\n')).toHaveLength(5);
      // Sealed with the phone key: neither the number nor the name is on the disk in clear.
      for (const [i, from] of numbers.entries()) {
        expect(spooled).not.toContain(from.slice(1));
        expect(spooled).not.toContain(nameOf(200 + i));
      }
      await web.kill(first);
      await pg.start();
      await web.start();
      await waitFor(
        async () => [...textsTo(numbers).values()].every((texts) => texts.length > 0),
        'the spooled texts to be answered',
        30_000,
      );
      expect(readdirSync(spoolDir)).toEqual([]);
      expect(await signaturesOf(99)).toBe(5);
      for (const texts of textsTo(numbers).values()) expect(texts).toHaveLength(1);
    } finally {
      await web.close();
      rmSync(spoolDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a text the primary URL stored, then also sent to the fallback URL, is answered once, with the stored reply', async () => {
    const { config } = server;
    const from = phone(300);
    const messageSid = newMessageSid();
    const post = (path: string) => {
      const request = signedSmsRequest({
        serverUrl: '',
        publicBaseUrl: config.publicBaseUrl,
        authToken: config.twilio.authToken,
        accountSid: config.twilio.accountSid,
        from,
        body: `OUTAGE ${nameOf(300)}`,
        messageSid,
        path,
      });
      return server.app.inject({
        method: 'POST',
        url: path,
        headers: request.headers,
        payload: request.body,
      });
    };
    const primary = await post('/webhooks/twilio/sms');
    const [stored] = twimlMessages(primary.body);
    expect(stored).toContain('Jane');
    // Twilio gave up on the primary URL (too slow) and called the fallback URL; twice, even.
    for (let i = 0; i < 2; i++) {
      const fallback = await post('/webhooks/twilio/sms-fallback');
      expect(twimlMessages(fallback.body)).toEqual([]);
    }
    await waitFor(async () => (textsTo([from]).get(from)?.length ?? 0) > 0, 'the reply', 15_000);
    await waitFor(
      async () => (await server.app.inject('/metrics')).body.includes('pp_sms_spool_depth{store="redis"} 0'),
      'the stream to be drained',
    );
    expect(textsTo([from]).get(from)).toEqual([stored]);
    expect(await signaturesOf(104)).toBe(1);
  });
});
