import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSinch, startFakeSinch } from '../fakes/sinch.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { type WorkerProcesses, workerProcesses } from '../helpers/worker-process.js';
import { removeDir, signNames, uniqueQueuePrefix, waitFor } from './harness.js';
import { readSignatories } from './pdf.js';
import { realisticNames } from './realistic-names.js';
import { tempDir } from './sinch-setup.js';

const KILLS = 20;
const NUMBERS = ['+74957000001', '+74957000002'];

let database: TestDatabase;
let fake: FakeSinch;
let testApp: TestApp;
let outboxDir: string;
let fakeDir: string;
let env: Record<string, string>;
let workers: WorkerProcesses;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempDir('crash-outbox');
  fakeDir = tempDir('crash-sinch');
  // A fax takes longer on the line than a worker lives, so kills fall mid-batch even on a slow machine.
  fake = await startFakeSinch({ dir: fakeDir, settleMs: 3_000, answerAfterMs: 400 });
  // One busy line, so that a retry is among the things interrupted.
  fake.script(NUMBERS[0] as string, ['busy']);
  const port = await freePort();
  env = {
    ...fake.env(),
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL,
    SMS_QUIET_HOURS: 'off',
    FAX_OUTBOX_DIR: outboxDir,
    FAX_BUSINESS_HOURS: 'off',
    FAX_MAX_PAGES: '2',
    API_REQUESTS_PER_MINUTE: '1000000',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    CRASH_QUEUE_PREFIX: uniqueQueuePrefix(),
  };
  workers = workerProcesses(env);
  testApp = await startTestApp(database, { env, databaseUrl: database.url });
  await testApp.app.listen({ port, host: '127.0.0.1' });
});

afterAll(async () => {
  await workers?.close();
  await testApp?.close();
  await fake?.close();
  await database?.drop();
  removeDir(outboxDir);
  removeDir(fakeDir);
});

describe('a worker killed at any moment', () => {
  it('delivers each part to each target exactly once, with every name once', async () => {
    const names = realisticNames(700);
    await openCampaign(database, {
      keyword: 'CRASH',
      title: 'Lawyer threatened',
      letter: { body: 'Please protect him.' },
      targets: NUMBERS.map((number, i) => ({
        name: `Prosecutor ${i + 1}`,
        salutation: 'Dear Prosecutor',
        faxNumbers: [number],
      })),
    });
    await signNames(database, 'CRASH', names);
    const { rows: eligible } = await database.pool.query(
      `SELECT name FROM signatures WHERE status = 'valid' AND name IS NOT NULL`,
    );
    const api = apiAs(testApp.app, (await staffToken(database, 'campaigner')).token);
    const { rows: campaigns } = await database.pool.query(`SELECT id FROM campaigns WHERE keyword = 'CRASH'`);
    const created = await api({ method: 'POST', url: `/api/v1/campaigns/${campaigns[0].id}/fax-batches` });
    expect(created.statusCode).toBe(202);
    const batchId = created.json().id;

    const status = async () =>
      (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json().status;
    let killedMidway = 0;
    for (let round = 0; round < KILLS; round++) {
      const child = await workers.start();
      await sleep(Math.random() * 1_200);
      await workers.kill(child);
      if ((await status()) !== 'delivered') killedMidway++;
    }
    // The kills fell while the batch was under way, not after it was done.
    expect(killedMidway).toBeGreaterThanOrEqual(3);
    const last = await workers.start();
    const batch = await waitFor(
      async () => {
        const body = (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json();
        return body.status === 'delivered' ? body : null;
      },
      'the batch to be delivered',
      60_000,
    );
    await sleep(500);
    await workers.kill(last);

    const parts = batch.deliveries.length / NUMBERS.length;
    expect(parts).toBeGreaterThanOrEqual(3);
    const expected = eligible.map((row) => row.name as string).sort();
    for (const number of NUMBERS) {
      const completed = fake.submissions.filter((s) => s.fax.to === number && s.outcome === 'success');
      // Each part reached the target once: one successful transmission per delivery, none twice.
      const deliveries = completed.map((s) => s.fax.labels.deliveryId);
      expect(new Set(deliveries).size).toBe(parts);
      expect(deliveries).toHaveLength(parts);
      const received = completed.flatMap((s) => readSignatories(s.pdfFile).map((entry) => entry.name)).sort();
      expect(received).toEqual(expected);
    }
    // Only the busy line was ever submitted twice for one part.
    expect(fake.submissions).toHaveLength(batch.deliveries.length + 1);
  }, 150_000);
});
