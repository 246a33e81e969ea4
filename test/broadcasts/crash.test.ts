import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues } from '../../src/queue/queues.js';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { emptyQueues, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp, testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../helpers/database.js';
import { PUBLIC_BASE_URL } from '../helpers/phone.js';
import { type WorkerProcesses, workerProcesses } from '../helpers/worker-process.js';

// The product's workers in a process of their own, SIGKILLed three times while a broadcast goes out:
// once early, once while Twilio holds its answers to texts it has taken, once late. Twilio behaves as
// it does: a Messaging Service's texts wait `accepted`, unsent (`date_sent` null), in a queue that
// drains slower than we send, and every 25th create is answered after the client's timeout. BullMQ
// gives a dead worker's jobs to the next process within a second or two (the crash worker's short
// stalled settings); a text claimed when its worker died is looked up at Twilio before it is sent again.
const MEMBERS = 600;
const TIMEOUT_MS = 500;
const BODY = 'Urgent: text HOPE to sign for Magamed.';

let database: TestDatabase;
let fake: FakeTwilio;
let server: TestApp;
let processes: WorkerProcesses;
let phones: string[];
const queuePrefix = `{${uniqueQueuePrefix()}}`;

beforeAll(async () => {
  database = await createTestDatabase();
  const { accountSid, authToken } = testConfig(database.url).twilio;
  fake = await startFakeTwilio(accountSid, authToken);
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    CRASH_QUEUE_PREFIX: queuePrefix,
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    TWILIO_ACCOUNT_SID: accountSid,
    TWILIO_MESSAGING_SERVICE_SID: 'MG0123456789abcdef0123456789abcdef',
    TWILIO_API_BASE_URL: fake.url,
    TWILIO_TIMEOUT_MS: String(TIMEOUT_MS),
    PUBLIC_BASE_URL,
    SMS_QUIET_HOURS: 'off',
    // About six seconds of sending, so that the kills fall while it goes on.
    SMS_MAX_PER_SECOND: '100',
  };
  fake.throughput = 60;
  fake.lateAnswers = { every: 25, delayMs: TIMEOUT_MS * 3 };
  server = await startTestApp(database, { env, databaseUrl: database.url });
  processes = workerProcesses(env);
  const crypto = createPhoneCrypto(server.config.phone);
  const base = randomInt(100_000, 900_000);
  phones = Array.from({ length: MEMBERS }, (_, i) => `+4477${base}${String(i).padStart(3, '0')}`);
  await database.pool.query(
    `INSERT INTO supporters (phone_ciphertext, phone_index, opted_in, consent_at, source)
     SELECT unnest($1::text[]), unnest($2::text[]), true, now(), 'sms'`,
    [phones.map((phone) => crypto.encrypt(phone)), phones.map((phone) => crypto.blindIndex(phone))],
  );
});

afterAll(async () => {
  await processes?.close();
  const queues = createQueues(server.redis, { prefix: queuePrefix });
  await emptyQueues(queues);
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
  await server?.close();
  await fake?.close();
  await database?.drop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const taken = () => fake.messages.filter((m) => m.body.startsWith(BODY));

async function claimed(): Promise<number> {
  const { rows } = await database.pool.query(
    `SELECT count(*)::int AS n FROM outbound_messages WHERE status = 'sending'`,
  );
  return rows[0].n;
}

describe('a broadcast whose worker process is killed three times', () => {
  it('texts every member once, and its counts are what Twilio took', async () => {
    const campaign = await openCampaign(database, {
      keyword: 'HOPE',
      title: 'Magamed',
      letter: { body: 'Release him.' },
      targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+74951234567'] }],
    });
    const api = apiAs(server.app, (await staffToken(database, 'campaigner')).token);
    const created = await api({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/broadcasts`,
      payload: { body: BODY, audience: 'network' },
    });
    expect(created.statusCode).toBe(202);
    const broadcastId = created.json().id;

    // Early: in the fan-out, or among the first texts.
    let child = await processes.start();
    await sleep(randomInt(100, 700));
    await processes.kill(child);

    // Twilio has taken texts and not yet answered: the worker dies, Twilio keeps them, unsent.
    child = await processes.start();
    fake.throughput = 0;
    fake.hold();
    await waitFor(async () => (await claimed()) >= 5, 'texts in flight');
    await sleep(300);
    await processes.kill(child);
    const heard = fake.messages.length;
    fake.release();
    await waitFor(async () => fake.messages.length > heard, 'Twilio to take the texts of a dead worker');
    expect(fake.queued().length).toBeGreaterThan(0);

    // Late: most texts out. The dead worker's texts are looked up while Twilio still holds them.
    child = await processes.start();
    const lists = fake.listRequests.length;
    await waitFor(async () => fake.listRequests.length > lists, 'the texts of a dead worker looked up');
    fake.throughput = 60;
    await waitFor(async () => taken().length >= (MEMBERS * 2) / 3, 'two thirds sent', 30_000);
    await processes.kill(child);
    expect(taken().length).toBeLessThan(MEMBERS);

    child = await processes.start();
    const progress = await waitFor(
      async () => {
        const json = (await api({ method: 'GET', url: `/api/v1/broadcasts/${broadcastId}` })).json();
        return json.status === 'done' ? json : null;
      },
      'the broadcast done',
      60_000,
    );
    await processes.kill(child);

    const texts = taken();
    expect(fake.problems).toEqual([]);
    expect(texts.map((m) => m.to).sort()).toEqual([...phones].sort());
    // Texts claimed by a dead worker were looked up at Twilio before anything was sent again.
    expect(fake.listRequests.length).toBeGreaterThan(0);
    expect(progress).toMatchObject({ total: MEMBERS, sent: texts.length, failed: 0, queued: 0 });
    const { rows } = await database.pool.query(
      'SELECT twilio_sid FROM outbound_messages WHERE broadcast_id = $1',
      [broadcastId],
    );
    expect(rows.map((row) => row.twilio_sid).sort()).toEqual(texts.map((m) => m.sid).sort());
  }, 120_000);
});
