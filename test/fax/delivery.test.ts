import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createBatchesService } from '../../src/fax/batches.js';
import { createFileProvider } from '../../src/fax/providers/file.js';
import type { FaxProvider, FaxSubmission, OutgoingFax } from '../../src/fax/providers/types.js';
import { createFaxSenderService } from '../../src/fax/sender.js';
import { testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { removeDir, sentLines, signNames, tempOutboxDir } from './harness.js';

let database: TestDatabase;
let outboxDir: string;
let config: Config;
const clock = () => new Date();
let nextKeyword = 0;

/** A provider that answers like a real one would (the outcome comes later) and records what it got. */
function recordingProvider(answer: () => Promise<FaxSubmission>) {
  const submitted: OutgoingFax[] = [];
  const provider: FaxProvider = {
    name: 'sinch',
    async submit(fax) {
      submitted.push(fax);
      return answer();
    },
  };
  return { provider, submitted };
}

/** A rendered batch of two names to one target; returns its one delivery. */
async function renderedDelivery(options: { isDemo?: boolean; byEmail?: boolean } = {}) {
  const keyword = `CASE${String.fromCharCode(65 + nextKeyword++)}`;
  const target = options.byEmail
    ? { faxNumbers: [], emails: ['prosecutor@example.org'] }
    : { faxNumbers: ['+442079460111'] };
  const campaign = await openCampaign(database, {
    keyword,
    title: 'Lawyer threatened',
    letter: { body: 'Please protect him.' },
    targets: [{ name: 'Igor Krasnov', salutation: 'Dear Prosecutor General', ...target }],
    isDemo: options.isDemo ?? false,
  });
  await signNames(database, keyword, ['Jane Smith', 'Анна Петрова']);
  const batches = createBatchesService({ db: database.db, clock, config });
  const batch = await batches.createBatch(campaign.id, { reason: 'manual', staffId: null });
  expect(await batches.renderBatch(batch.id)).toBe(1);
  expect(await batches.renderBatch(batch.id)).toBe(0);
  const { rows } = await database.pool.query('SELECT * FROM fax_deliveries WHERE batch_id = $1', [batch.id]);
  return { deliveryId: Number(rows[0].id) };
}

async function deliveryRow(id: number) {
  const { rows } = await database.pool.query(
    `SELECT d.status, d.attempts, d.last_error, d.provider_fax_id, b.status AS batch_status
     FROM fax_deliveries d JOIN fax_batches b ON b.id = d.batch_id WHERE d.id = $1`,
    [id],
  );
  return rows[0];
}

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempOutboxDir();
  config = testConfig(database.url, { FAX_OUTBOX_DIR: outboxDir });
});

afterAll(async () => {
  await database?.drop();
  removeDir(outboxDir);
});

describe('sending a delivery', () => {
  it('queues the sending of each rendered part once, however often rendering runs', async () => {
    const { deliveryId } = await renderedDelivery();
    const { rows } = await database.pool.query(
      `SELECT count(*)::int AS n FROM outbox WHERE job_name = 'send-delivery' AND payload->>'deliveryId' = $1`,
      [String(deliveryId)],
    );
    expect(rows[0].n).toBe(1);
  });

  it('submits once when the job runs twice at the same time', async () => {
    const { deliveryId } = await renderedDelivery();
    const delivery = createFaxSenderService({
      db: database.db,
      clock,
      config,
      provider: createFileProvider({ outboxDir, clock }),
    });
    await Promise.all([
      delivery.send(deliveryId, { finalAttempt: false }),
      delivery.send(deliveryId, { finalAttempt: false }),
    ]);
    await delivery.send(deliveryId, { finalAttempt: false });
    expect(sentLines(outboxDir).filter((line) => line.deliveryId === String(deliveryId))).toHaveLength(1);
    expect(await deliveryRow(deliveryId)).toMatchObject({
      status: 'written',
      attempts: 1,
      batch_status: 'written',
    });
  });

  it('keeps a part sending until the provider reports on it, and does not submit it again', async () => {
    const { deliveryId } = await renderedDelivery();
    const { provider, submitted } = recordingProvider(async () => ({
      providerFaxId: 'fax-01',
      outcome: null,
    }));
    const delivery = createFaxSenderService({ db: database.db, clock, config, provider });
    await delivery.send(deliveryId, { finalAttempt: false });
    await delivery.send(deliveryId, { finalAttempt: false });
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({
      deliveryId,
      faxNumber: '+442079460111',
      pages: 2,
      callbackUrl: expect.stringMatching(/\/webhooks\/fax\/sinch\?token=[\w-]{43}$/),
    });
    expect(await deliveryRow(deliveryId)).toMatchObject({
      status: 'sending',
      attempts: 1,
      provider_fax_id: 'fax-01',
      batch_status: 'sending',
    });
  });

  it('never sends a demo campaign through a real provider, and says why', async () => {
    const { deliveryId } = await renderedDelivery({ isDemo: true });
    const { provider, submitted } = recordingProvider(async () => ({ providerFaxId: 'x', outcome: null }));
    await createFaxSenderService({ db: database.db, clock, config, provider }).send(deliveryId, {
      finalAttempt: false,
    });
    expect(submitted).toEqual([]);
    const row = await deliveryRow(deliveryId);
    expect(row).toMatchObject({ status: 'failed', attempts: 0, batch_status: 'failed' });
    expect(row.last_error).toMatch(/demo campaign/);
  });

  it('sends a demo campaign through the file provider', async () => {
    const { deliveryId } = await renderedDelivery({ isDemo: true });
    const provider = createFileProvider({ outboxDir, clock });
    await createFaxSenderService({ db: database.db, clock, config, provider }).send(deliveryId, {
      finalAttempt: false,
    });
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'written' });
  });

  it('writes an e-mail to the outbox as an .eml with the file transport: written, a dry run', async () => {
    const { deliveryId } = await renderedDelivery({ byEmail: true, isDemo: true });
    const { provider, submitted } = recordingProvider(async () => ({ providerFaxId: 'x', outcome: null }));
    await createFaxSenderService({ db: database.db, clock, config, provider }).send(deliveryId, {
      finalAttempt: false,
    });
    expect(submitted).toEqual([]);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'written', batch_status: 'written' });
    const files = readdirSync(join(outboxDir, 'mail')).filter((file) => file.startsWith(`pp-${deliveryId}.`));
    expect(files).toHaveLength(1);
    const eml = readFileSync(join(outboxDir, 'mail', files[0] as string), 'utf8');
    expect(eml).toMatch(/^To: prosecutor@example\.org$/mu);
    expect(eml).toMatch(/Content-Type: application\/pdf; name=letter-part-1-of-1\.pdf/u);
  });

  it('waits for another try after a failed submission, and fails with the reason on the last one', async () => {
    const { deliveryId } = await renderedDelivery();
    const { provider, submitted } = recordingProvider(async () => {
      throw new Error('connection reset');
    });
    const delivery = createFaxSenderService({ db: database.db, clock, config, provider });
    await expect(delivery.send(deliveryId, { finalAttempt: false })).rejects.toThrow('connection reset');
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'waiting', attempts: 1 });
    await expect(delivery.send(deliveryId, { finalAttempt: true })).rejects.toThrow('connection reset');
    expect(submitted).toHaveLength(2);
    const row = await deliveryRow(deliveryId);
    expect(row).toMatchObject({ status: 'failed', attempts: 2, batch_status: 'failed' });
    expect(row.last_error).toBe('Submitting to sinch failed: connection reset');
  });
});
