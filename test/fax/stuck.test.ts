import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createBatchesService } from '../../src/fax/batches.js';
import { createDeliveriesService } from '../../src/fax/deliveries.js';
import { createSinchProvider } from '../../src/fax/providers/sinch.js';
import { createFaxSenderService } from '../../src/fax/sender.js';
import { FAX_STUCK_KINDS } from '../../src/fax/stuck.js';
import { createLogger } from '../../src/logger.js';
import { type FakeSinch, startFakeSinch } from '../fakes/sinch.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { CapturedLogs, startTestApp, type TestApp, testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { removeDir, signNames, waitFor } from './harness.js';
import { tempDir } from './sinch-setup.js';

const quietLogger = () => createLogger('info', new CapturedLogs());
const MINUTE = 60_000;

let database: TestDatabase;
let fake: FakeSinch;
let testApp: TestApp;
let config: Config;
let outboxDir: string;
let fakeDir: string;
let api: ReturnType<typeof apiAs>;
/** How far the services' clock is ahead of the wall clock: hours pass at once, and Sinch lives in real time. */
let ahead = 0;
const clock = () => new Date(Date.now() + ahead);
let services: ReturnType<typeof build>;
let nextKeyword = 0;
let nextNumber = 0;
/** The outbox rows already handed out: the test plays the worker, and drops the jobs a fault loses. */
let seenJob = 0;

const faxNumber = () => `+7495${String(2_000_000 + nextNumber++).padStart(7, '0')}`;

function build() {
  const { db } = database;
  return {
    batches: createBatchesService({ db, clock, config }),
    sender: createFaxSenderService({
      db,
      clock,
      config,
      provider: createSinchProvider({ sinch: config.sinch, clock, logger: quietLogger() }),
    }),
    deliveries: createDeliveriesService({ db, clock, config }),
  };
}

/** Jobs queued since the last call, as the relay would hand them over. */
async function queuedJobs() {
  const { rows } = await database.pool.query<{
    id: string;
    job_name: string;
    payload: Record<string, number>;
  }>('SELECT id, job_name, payload FROM outbox WHERE id > $1 ORDER BY id', [seenJob]);
  seenJob = Math.max(seenJob, ...rows.map((row) => Number(row.id)));
  return rows;
}

/** Runs the jobs queued since the last call, as a worker would; returns their names. */
async function runQueued(): Promise<string[]> {
  const jobs = await queuedJobs();
  for (const { job_name: name, payload } of jobs) {
    if (name === 'render-batch') await services.batches.renderBatch(payload.batchId as number);
    if (name === 'send-delivery')
      await services.sender.send(payload.deliveryId as number, { finalAttempt: false });
    if (name === 'poll-delivery') await services.sender.poll(payload.deliveryId as number, { again: true });
  }
  return jobs.map((job) => job.job_name);
}

/** A batch of one part to one target at `number`, made and (unless told otherwise) rendered. */
async function batchTo(number: string, { render = true } = {}) {
  const keyword = `STUCK${String.fromCharCode(65 + nextKeyword++)}`;
  const campaign = await openCampaign(database, {
    keyword,
    title: 'Lawyer threatened',
    letter: { body: 'Please protect him.' },
    targets: [{ name: 'Igor Krasnov', salutation: 'Dear Prosecutor General', faxNumbers: [number] }],
  });
  await signNames(database, keyword, ['Jane Smith']);
  const batch = await services.batches.createBatch(campaign.id, { reason: 'manual', staffId: null });
  if (render) await services.batches.renderBatch(batch.id);
  await queuedJobs();
  const { rows } = await database.pool.query('SELECT id FROM fax_deliveries WHERE batch_id = $1', [batch.id]);
  return { batchId: batch.id, campaignId: campaign.id, deliveryId: Number(rows[0].id) };
}

const batchOf = async (batchId: number) =>
  (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json();
const sentTo = (number: string) => fake.submissions.filter((submission) => submission.fax.to === number);

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempDir('stuck-outbox');
  fakeDir = tempDir('stuck-sinch');
  fake = await startFakeSinch({ dir: fakeDir, callbacks: false });
  const env = { ...fake.env(), FAX_OUTBOX_DIR: outboxDir, FAX_BUSINESS_HOURS: 'off' };
  config = testConfig(database.url, env);
  services = build();
  testApp = await startTestApp(database, { env, databaseUrl: database.url });
  api = apiAs(testApp.app, (await staffToken(database, 'viewer')).token);
});

afterAll(async () => {
  await testApp?.close();
  await fake?.close();
  await database?.drop();
  removeDir(outboxDir);
  removeDir(fakeDir);
});

describe('fax work stuck longer than its state allows', () => {
  it('times out a fax Sinch keeps in progress once its polling is driven on, and tells staff why', async () => {
    ahead = 0;
    const number = faxNumber();
    fake.always(number, 'hang');
    const { batchId, campaignId, deliveryId } = await batchTo(number);
    await services.sender.send(deliveryId, { finalAttempt: false });
    ahead = MINUTE;
    expect(await runQueued()).toEqual(['poll-delivery']);
    expect((await batchOf(batchId)).deliveries[0]).toMatchObject({ status: 'sending' });
    // The next poll is lost (Redis flushed, say): nothing moves until the fax is found stuck.
    await queuedJobs();
    ahead = 2 * 60 * MINUTE + 5 * MINUTE;
    const { items, counts } = await services.deliveries.stuck();
    expect(items).toEqual([
      {
        kind: 'fax-poll-overdue',
        deliveryId,
        batchId,
        campaignId,
        since: expect.any(Date),
        reason: expect.stringMatching(/has not been asked how this fax is going/),
      },
    ]);
    expect(Object.keys(counts).sort()).toEqual([...FAX_STUCK_KINDS].sort());
    expect(counts['fax-poll-overdue']).toBe(1);

    expect(await services.sender.driveStuck()).toEqual(items);
    expect(await runQueued()).toEqual(['poll-delivery']);
    const batch = await batchOf(batchId);
    expect(batch.status).toBe('failed');
    expect(batch.deliveries[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: `${number}: no final status from the provider after 2 h; check with the recipient before resending`,
      providerCompletedAt: null,
      pagesSent: null,
    });
    expect(sentTo(number)).toHaveLength(1);
    expect((await services.deliveries.stuck()).items).toEqual([]);
  });

  it('lets a poll driven on while the first was only late merge into one chain of polls', async () => {
    ahead = 0;
    const number = faxNumber();
    fake.always(number, 'hang');
    const { deliveryId } = await batchTo(number);
    await services.sender.send(deliveryId, { finalAttempt: false });
    ahead = MINUTE;
    expect(await runQueued()).toEqual(['poll-delivery']);
    // The next poll is late (workers down), not lost: the watchdog queues another beside it.
    const late = await queuedJobs();
    ahead = 20 * MINUTE;
    expect(await services.sender.driveStuck()).toEqual([
      expect.objectContaining({ kind: 'fax-poll-overdue', deliveryId }),
    ]);
    const nudged = await queuedJobs();
    for (const job of [...late, ...nudged])
      await services.sender.poll(job.payload.deliveryId as number, { again: true });
    expect(await queuedJobs()).toEqual([expect.objectContaining({ job_name: 'poll-delivery' })]);
    ahead = 3 * 60 * MINUTE;
    expect(await services.sender.driveStuck()).toEqual([
      expect.objectContaining({ kind: 'fax-poll-overdue', deliveryId }),
    ]);
    expect(await runQueued()).toEqual(['poll-delivery']);
    expect(await services.deliveries.stuck()).toMatchObject({ items: [] });
  });

  it('keeps a delivery blocked by the account on the stuck page, tries it again hourly, and sends it once fixed', async () => {
    ahead = 0;
    const number = faxNumber();
    fake.always(number, { errorType: 'FAX_ERROR', errorCode: 46 });
    const { batchId, deliveryId } = await batchTo(number);
    await services.sender.send(deliveryId, { finalAttempt: false });
    await waitFor(async () => sentTo(number)[0]?.fax.status === 'FAILURE', 'Sinch to fail the fax');
    ahead = MINUTE;
    expect(await runQueued()).toEqual(['poll-delivery']);
    // Blocked, and its retry job lost: the watchdog alone must bring it back.
    expect((await queuedJobs()).map((job) => job.job_name)).toEqual(['send-delivery']);
    const { items, counts } = await services.deliveries.stuck();
    expect(items).toEqual([
      expect.objectContaining({
        kind: 'fax-blocked',
        deliveryId,
        batchId,
        reason: expect.stringMatching(/not the number.*Reason: Insufficient funds .*\(FAX_ERROR 46\)$/),
      }),
    ]);
    expect(counts['fax-blocked']).toBe(1);
    expect((await batchOf(batchId)).deliveries[0]).toMatchObject({ status: 'blocked', attempts: 1 });
    // Not due within the hour: shown, not sent again.
    ahead = 30 * MINUTE;
    expect(await services.sender.driveStuck()).toEqual([]);
    ahead = 62 * MINUTE;
    expect(await services.sender.driveStuck()).toEqual([
      expect.objectContaining({ kind: 'fax-blocked', deliveryId }),
    ]);
    fake.always(number, null);
    expect(await runQueued()).toEqual(['send-delivery']);
    expect(sentTo(number)).toHaveLength(2);
    await waitFor(async () => sentTo(number)[1]?.fax.status === 'COMPLETED', 'Sinch to complete the fax');
    expect(await runQueued()).toEqual(['poll-delivery']);
    expect((await batchOf(batchId)).deliveries[0]).toMatchObject({
      status: 'delivered',
      attempts: 2,
      faxNumber: number,
    });
    expect((await services.deliveries.stuck()).items).toEqual([]);
  });

  it('reconciles a submission interrupted after Sinch took it, and never submits it twice', async () => {
    ahead = 0;
    const number = faxNumber();
    const { batchId, deliveryId } = await batchTo(number);
    // The fault: a worker dies after Sinch accepted the fax, before the fax id was recorded. What the
    // claim committed stays (sending, attempt 1, submittedAt); the job that ran it is gone.
    const { rows } = await database.pool.query(
      `UPDATE fax_deliveries SET status = 'sending', attempts = 1, number_attempts = 1, provider = 'sinch',
              submitted_at = now(), updated_at = now()
        WHERE id = $1 RETURNING document_path, pages`,
      [deliveryId],
    );
    const accepted = await createSinchProvider({ sinch: config.sinch, clock, logger: quietLogger() }).submit({
      deliveryId,
      batchId,
      attempt: 1,
      campaignKeyword: 'STUCK',
      targetName: 'Igor Krasnov',
      faxNumber: number,
      pages: rows[0].pages,
      file: resolve(outboxDir, rows[0].document_path),
      callbackUrl: null,
      test: false,
    });
    await waitFor(async () => sentTo(number)[0]?.fax.status === 'COMPLETED', 'Sinch to complete the fax');

    // Within the margin a submission may still be under way: it is neither stuck nor touched.
    expect((await services.deliveries.stuck()).items).toEqual([]);
    expect(await services.sender.driveStuck()).toEqual([]);

    ahead = 16 * MINUTE;
    const driven = await services.sender.driveStuck();
    expect(driven).toEqual([
      expect.objectContaining({ kind: 'fax-submission-interrupted', deliveryId, batchId }),
    ]);
    expect(await runQueued()).toEqual(['send-delivery']);
    expect(sentTo(number)).toHaveLength(1);
    const batch = await batchOf(batchId);
    expect(batch.status).toBe('delivered');
    expect(batch.deliveries[0]).toMatchObject({
      status: 'delivered',
      attempts: 1,
      lastError: null,
      providerCompletedAt: new Date(sentTo(number)[0]?.fax.completedTime as string).toISOString(),
      pagesSent: rows[0].pages,
      durationSeconds: null,
      remoteId: null,
    });
    const { rows: recorded } = await database.pool.query(
      'SELECT provider_fax_id FROM fax_deliveries WHERE id = $1',
      [deliveryId],
    );
    expect(recorded[0].provider_fax_id).toBe(accepted.providerFaxId);
    expect(await services.sender.driveStuck()).toEqual([]);
  });

  it('renders a batch never rendered, sends a part overdue, and drives each on once a margin', async () => {
    ahead = 0;
    const number = faxNumber();
    const { batchId, deliveryId } = await batchTo(number, { render: false });
    ahead = 16 * MINUTE;
    const unrendered = await services.deliveries.stuck();
    expect(unrendered.items).toEqual([
      expect.objectContaining({ kind: 'fax-batch-unrendered', batchId, reason: expect.any(String) }),
    ]);
    expect(unrendered.items[0]).not.toHaveProperty('deliveryId');
    expect(unrendered.counts['fax-batch-unrendered']).toBe(1);
    expect(await services.sender.driveStuck()).toHaveLength(1);
    // Still stuck until the job runs, but not queued again within the margin.
    expect(await services.sender.driveStuck()).toEqual([]);
    expect((await services.deliveries.stuck()).items).toHaveLength(1);
    expect(await runQueued()).toEqual(['render-batch']);

    // Rendered; its send job is lost.
    await queuedJobs();
    ahead = 32 * MINUTE;
    expect(await services.sender.driveStuck()).toEqual([
      expect.objectContaining({ kind: 'fax-send-overdue', deliveryId, batchId }),
    ]);
    expect(await runQueued()).toEqual(['send-delivery']);
    await waitFor(async () => sentTo(number)[0]?.fax.status === 'COMPLETED', 'Sinch to complete the fax');
    expect(await runQueued()).toEqual(['poll-delivery']);
    expect((await batchOf(batchId)).deliveries[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(sentTo(number)).toHaveLength(1);
    expect((await services.deliveries.stuck()).items).toEqual([]);
  });

  it("made only requests Sinch's models allow, and got only answers they allow", () => {
    expect(fake.submissions.length).toBeGreaterThan(3);
    expect(fake.violations).toEqual([]);
  });
});
