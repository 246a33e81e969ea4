import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/queue/connection.js';
import { createServices } from '../../src/services.js';
import { startWorkers } from '../../workers/index.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import {
  emptyQueues,
  removeDir,
  sentLines,
  signNames,
  tempOutboxDir,
  uniqueQueuePrefix,
  waitFor,
} from '../fax/harness.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { CapturedLogs, startTestApp, testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { PUBLIC_BASE_URL } from '../helpers/phone.js';

// Two installs, one after the other, on one Redis under one queue prefix: the second on a database made
// afresh, so its rows have the ids the first one's had, while Redis keeps the first one's jobs.
const queuePrefix = `{${uniqueQueuePrefix()}}`;
const NAMES = ['Jane Smith', 'Анна Петрова', 'Ahmed Khan'];
let fake: FakeTwilio;
const dirs: string[] = [];

beforeAll(async () => {
  const { accountSid, authToken } = testConfig('postgres://unused/unused').twilio;
  fake = await startFakeTwilio(accountSid, authToken);
});
afterAll(async () => {
  await fake?.close();
  for (const dir of dirs) removeDir(dir);
});

/** The product on `database`: the web app and its workers, as `npm start` runs them. */
async function install(database: TestDatabase) {
  const outboxDir = tempOutboxDir();
  dirs.push(outboxDir);
  const env = {
    QUEUE_PREFIX: queuePrefix,
    FAX_OUTBOX_DIR: outboxDir,
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    TWILIO_API_BASE_URL: fake.url,
    PUBLIC_BASE_URL,
  };
  const server = await startTestApp(database, { env, databaseUrl: database.url });
  const config = testConfig(database.url, env);
  const redis = createRedis(config.redis);
  const logs = new CapturedLogs();
  const workers = await startWorkers({
    services: createServices({ config, database, redis, logger: createLogger('info', logs) }),
  });
  const api = apiAs(server.app, (await staffToken(database, 'campaigner')).token);
  return {
    api,
    outboxDir,
    queues: workers.queues,
    logs,
    /** Stops the product; Redis keeps what it holds, unless `empty`. */
    async close({ empty }: { empty: boolean }) {
      if (empty) await emptyQueues(workers.queues);
      await workers.close();
      redis.disconnect();
      await server.close();
    },
  };
}

type Install = Awaited<ReturnType<typeof install>>;

/** A new install's first campaign: its first fax batch and its first broadcast, both all the way. */
async function firstBatchAndBroadcast(database: TestDatabase, product: Install, body: string) {
  const campaign = await openCampaign(database, {
    keyword: 'FIRST',
    title: 'First action',
    letter: { body: 'Release him.' },
    targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+442079460111'] }],
  });
  await signNames(database, 'FIRST', NAMES);
  const created = await product.api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/fax-batches` });
  expect(created.statusCode).toBe(202);
  const batchId: string = created.json().id;
  const broadcast = await product.api({
    method: 'POST',
    url: `/api/v1/campaigns/${campaign.id}/broadcasts`,
    payload: { body, audience: 'signers' },
  });
  expect(broadcast.statusCode).toBe(202);
  const broadcastId: string = broadcast.json().id;
  const batch = await waitFor(async () => {
    const json = (await product.api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json();
    return json.status === 'written' ? json : null;
  }, 'the first batch written to the outbox');
  const progress = await waitFor(async () => {
    const json = (await product.api({ method: 'GET', url: `/api/v1/broadcasts/${broadcastId}` })).json();
    return json.status === 'done' ? json : null;
  }, 'the first broadcast sent');
  return { campaignId: campaign.id, batchId, batch, broadcastId, progress };
}

describe('a product installed afresh on a Redis that holds an earlier install’s jobs', () => {
  it('delivers its first fax batch and its first broadcast', async () => {
    const earlierDatabase = await createTestDatabase();
    const earlier = await install(earlierDatabase);
    const before = await firstBatchAndBroadcast(earlierDatabase, earlier, 'The earlier install speaks.');
    // Jobs that failed for good, under the ids an older release gave outbox rows (`outbox-<row id>`).
    for (const queue of Object.values(earlier.queues)) {
      for (let id = 1; id <= 10; id++) {
        await queue.add('from-an-older-release', {}, { jobId: `outbox-${id}`, attempts: 1 });
      }
    }
    await waitFor(async () => {
      const failed = await Promise.all(Object.values(earlier.queues).map((queue) => queue.getFailedCount()));
      return failed.every((n) => n >= 10);
    }, 'the older jobs failed');
    await earlier.close({ empty: false });
    await earlierDatabase.drop();

    const database = await createTestDatabase();
    const product = await install(database);
    try {
      expect(await product.queues['fax-render'].getCompletedCount()).toBeGreaterThan(0);
      const body = 'The first text of the new install.';
      const after = await firstBatchAndBroadcast(database, product, body);
      // The same ids the earlier install's first rows had.
      expect([after.campaignId, after.batchId, after.broadcastId].map(String)).toEqual(
        [before.campaignId, before.batchId, before.broadcastId].map(String),
      );
      expect(after.batch.deliveries).toEqual([expect.objectContaining({ status: 'written', attempts: 1 })]);
      expect(sentLines(product.outboxDir).filter((line) => line.batchId === after.batchId)).toHaveLength(1);
      expect(after.progress).toMatchObject({ total: NAMES.length, sent: NAMES.length, failed: 0 });
      const texts = fake.messages.filter((m) => m.body.startsWith(body));
      expect(new Set(texts.map((m) => m.to)).size).toBe(NAMES.length);
      expect(texts).toHaveLength(NAMES.length);
      expect(product.logs.text()).not.toContain('outbox job id already held');
    } finally {
      await product.close({ empty: true });
      await database.drop();
    }
  }, 60_000);
});
