import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createBatchesService } from '../../src/fax/batches.js';
import { createSinchProvider } from '../../src/fax/providers/sinch.js';
import { createFaxSenderService } from '../../src/fax/sender.js';
import { createLogger } from '../../src/logger.js';
import { type FakeSinch, startFakeSinch } from '../fakes/sinch.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { CapturedLogs, type TestApp, testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { signNames, waitFor } from './harness.js';
import { pdfText } from './pdf.js';
import { startFaxStack, type startFaxWorkers, stopFaxStack, tempDir } from './sinch-setup.js';

let database: TestDatabase;
let fake: FakeSinch;
let testApp: TestApp;
let workers: Awaited<ReturnType<typeof startFaxWorkers>>;
let api: ReturnType<typeof apiAs>;
let env: Record<string, string>;
let outboxDir: string;
let fakeDir: string;
let nextKeyword = 0;
let nextNumber = 0;

const quietLogger = () => createLogger('info', new CapturedLogs());

/** A fresh public-looking fax number, so that each test scripts its own. */
const faxNumber = () => `+7495${String(1_000_000 + nextNumber++).padStart(7, '0')}`;

async function batchFor(numbers: string[], names = ['Jane Smith', 'Анна Петрова']) {
  const keyword = `SINCH${String.fromCharCode(65 + nextKeyword++)}`;
  const campaign = await openCampaign(database, {
    keyword,
    title: 'Lawyer threatened',
    letter: { body: 'Please protect him.' },
    targets: [{ name: 'Igor Krasnov', salutation: 'Dear Prosecutor General', faxNumbers: numbers }],
  });
  await signNames(database, keyword, names);
  const created = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/fax-batches` });
  expect(created.statusCode).toBe(202);
  return created.json().id as string;
}

async function settled(batchId: string) {
  return waitFor(async () => {
    const batch = (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json();
    return ['delivered', 'failed', 'partly_failed'].includes(batch.status) ? batch : null;
  }, `batch ${batchId} to settle`);
}

const sentTo = (number: string) => fake.submissions.filter((submission) => submission.fax.to === number);

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempDir('outbox');
  fakeDir = tempDir('sinch');
  fake = await startFakeSinch({ dir: fakeDir });
  const port = await freePort();
  env = {
    ...fake.env(),
    FAX_OUTBOX_DIR: outboxDir,
    FAX_BUSINESS_HOURS: 'off',
    API_REQUESTS_PER_MINUTE: '1000000',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  };
  ({ testApp, workers, api } = await startFaxStack(database, env, port));
});

afterAll(async () => {
  await stopFaxStack([workers, testApp, fake], database, [outboxDir, fakeDir]);
}, 120_000);

describe('faxing through Sinch', () => {
  it('sends each part once, with our retries only, and reports it delivered with what Sinch says', async () => {
    const number = faxNumber();
    const batch = await settled(await batchFor([number]));
    expect(batch).toMatchObject({ status: 'delivered' });
    const [submission] = sentTo(number);
    expect(batch.deliveries[0]).toMatchObject({
      status: 'delivered',
      attempts: 1,
      faxNumber: number,
      lastError: null,
      // Sinch gives the completion time and the pages sent, no call duration and no remote CSID.
      providerCompletedAt: new Date(submission?.fax.completedTime as string).toISOString(),
      pagesSent: batch.deliveries[0].pages,
      durationSeconds: null,
      remoteId: null,
    });
    expect(sentTo(number)).toHaveLength(1);
    expect(submission?.encoding).toBe('json');
    expect(submission?.fax).toMatchObject({
      maxRetries: 0,
      labels: { deliveryId: batch.deliveries[0].id, attempt: '1' },
      callbackUrl: expect.stringMatching(/\/webhooks\/fax\/sinch\?token=[\w-]{43}$/),
    });
    const text = pdfText(submission?.pdfFile as string);
    expect(text).toContain('Jane Smith');
    expect(text).toContain('Анна Петрова');
  });

  it('retries a busy number after a wait, then delivers', async () => {
    const number = faxNumber();
    fake.script(number, ['busy', 'no-answer']);
    const batch = await settled(await batchFor([number]));
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 3, faxNumber: number });
    expect(sentTo(number)).toHaveLength(3);
    const times = sentTo(number).map((submission) => Date.parse(submission.fax.createTime));
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(100);
    expect((times[2] as number) - (times[1] as number)).toBeGreaterThanOrEqual(200);
  });

  it('moves on to the next number when the first is not a fax machine', async () => {
    const [first, second] = [faxNumber(), faxNumber()];
    fake.always(first, 'not-a-fax');
    const batch = await settled(await batchFor([first, second]));
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, faxNumber: second });
    expect(sentTo(first)).toHaveLength(1);
    expect(sentTo(second)).toHaveLength(1);
  });

  it('fails when every number fails, and says why', async () => {
    const [first, second] = [faxNumber(), faxNumber()];
    fake.always(first, 'invalid-number');
    fake.always(second, 'busy');
    const batch = await settled(await batchFor([first, second]));
    expect(batch.status).toBe('failed');
    expect(batch.deliveries[0]).toMatchObject({ status: 'failed', attempts: 4 });
    expect(batch.deliveries[0].lastError).toMatch(
      /^Gave up after trying all 2 fax numbers; last: \+7495\d+: Busy \(CALL_ERROR 17\)/,
    );
    expect(sentTo(first)).toHaveLength(1);
    expect(sentTo(second)).toHaveLength(3);
  });

  it('sends a part that failed half-way again whole, saying "resent"', async () => {
    const number = faxNumber();
    fake.script(number, ['partial']);
    const batch = await settled(await batchFor([number]));
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    const [first, again] = sentTo(number);
    expect(pdfText(first?.pdfFile as string)).not.toMatch(/resent/i);
    expect(pdfText(again?.pdfFile as string)).toMatch(/resent/i);
    expect(pdfText(again?.pdfFile as string)).toContain('Jane Smith');
  });

  it('lets a campaigner retry a failed delivery from the first number, audited', async () => {
    const number = faxNumber();
    fake.script(number, ['invalid-number']);
    const batchId = await batchFor([number]);
    const failed = await settled(batchId);
    expect(failed.status).toBe('failed');
    const deliveryId = failed.deliveries[0].id;
    const viewer = apiAs(testApp.app, (await staffToken(database, 'viewer')).token);
    expect(
      (await viewer({ method: 'POST', url: `/api/v1/fax-deliveries/${deliveryId}/retry` })).statusCode,
    ).toBe(403);
    const retried = await api({ method: 'POST', url: `/api/v1/fax-deliveries/${deliveryId}/retry` });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ id: deliveryId, status: 'waiting', faxNumber: number });
    const batch = await settled(batchId);
    expect(batch).toMatchObject({ status: 'delivered' });
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, lastError: null });
    expect(
      (await api({ method: 'POST', url: `/api/v1/fax-deliveries/${deliveryId}/retry` })).statusCode,
    ).toBe(409);
    const { rows } = await database.pool.query(
      `SELECT action, after FROM audit_log WHERE entity_type = 'fax_delivery' AND entity_id = $1`,
      [deliveryId],
    );
    expect(rows).toEqual([{ action: 'fax_delivery.retry', after: { status: 'waiting' } }]);
  });

  it('acts once on a callback delivered twice', async () => {
    const number = faxNumber();
    fake.doubleCallbacks(number);
    fake.script(number, ['busy', 'busy']);
    const batch = await settled(await batchFor([number]));
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(sentTo(number)).toHaveLength(3);
  });

  it('changes nothing on a repeated callback', async () => {
    const number = faxNumber();
    const batch = await settled(await batchFor([number]));
    const { rows } = await database.pool.query(
      'SELECT callback_token, completed_at FROM fax_deliveries WHERE id = $1',
      [batch.deliveries[0].id],
    );
    for (let i = 0; i < 2; i++) {
      const again = await testApp.app.inject({
        method: 'POST',
        url: `/webhooks/fax/sinch?token=${rows[0].callback_token}`,
        payload: { event: 'FAX_COMPLETED', fax: { id: 'whatever', status: 'FAILURE' } },
      });
      expect(again.statusCode).toBe(200);
    }
    const after = (await api({ method: 'GET', url: `/api/v1/fax-batches/${batch.id}` })).json();
    expect(after.deliveries[0]).toMatchObject({
      status: 'delivered',
      attempts: 1,
      completedAt: batch.deliveries[0].completedAt,
    });
    expect(sentTo(number)).toHaveLength(1);
  });

  it('refuses a callback without the right token, and changes nothing', async () => {
    const before = await database.pool.query('SELECT id, status, updated_at FROM fax_deliveries ORDER BY id');
    for (const url of [
      '/webhooks/fax/sinch',
      '/webhooks/fax/sinch?token=forged',
      '/webhooks/fax/other?token=x',
    ]) {
      const forged = await testApp.app.inject({
        method: 'POST',
        url,
        payload: { event: 'FAX_COMPLETED', fax: { id: 'x', status: 'COMPLETED' } },
      });
      expect(forged.statusCode).toBe(404);
      expect(forged.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    expect(
      (await database.pool.query('SELECT id, status, updated_at FROM fax_deliveries ORDER BY id')).rows,
    ).toEqual(before.rows);
  });
});

const deliveryOf = async (batchId: string) =>
  (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json().deliveries[0];

async function blocked(batchId: string) {
  return waitFor(async () => {
    const delivery = await deliveryOf(batchId);
    return delivery.status === 'blocked' ? delivery : null;
  }, `batch ${batchId} to be blocked`);
}

describe("each class of Sinch's failures, with Sinch's own codes and messages", () => {
  it('moves on from a number that does not exist or is not active at once (CALL_ERROR 49, 34)', async () => {
    const [first, second, third] = [faxNumber(), faxNumber(), faxNumber()];
    fake.always(first, { errorType: 'CALL_ERROR', errorCode: 49 });
    fake.always(second, { errorType: 'CALL_ERROR', errorCode: 34 });
    const batch = await settled(await batchFor([first, second, third]));
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 3, faxNumber: third });
    expect(sentTo(first)).toHaveLength(1);
    expect(sentTo(second)).toHaveLength(1);
  });

  it('tries a congested or unanswered number again later (CALL_ERROR 15, FAX_ERROR 48)', async () => {
    const number = faxNumber();
    fake.script(number, [
      { errorType: 'CALL_ERROR', errorCode: 15 },
      { errorType: 'FAX_ERROR', errorCode: 48 },
    ]);
    const batch = await settled(await batchFor([number, faxNumber()]));
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 3, faxNumber: number });
  });

  it("retries a transmission fault on a target's only number rather than failing it (FAX_ERROR 29)", async () => {
    const number = faxNumber();
    fake.script(number, [{ errorType: 'FAX_ERROR', errorCode: 29 }]);
    const batch = await settled(await batchFor([number]));
    expect(batch.status).toBe('delivered');
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, faxNumber: number });
    expect(sentTo(number)).toHaveLength(2);
  });

  it('moves on from an incompatible destination (CALL_ERROR 32)', async () => {
    const [first, second] = [faxNumber(), faxNumber()];
    fake.always(first, { errorType: 'CALL_ERROR', errorCode: 32 });
    const batch = await settled(await batchFor([first, second]));
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, faxNumber: second });
    expect(sentTo(first)).toHaveLength(1);
  });

  it('blocks on insufficient funds: shown to staff, retried, never counted against the numbers, sent once fixed (FAX_ERROR 46)', async () => {
    const [number, other] = [faxNumber(), faxNumber()];
    fake.always(number, { errorType: 'FAX_ERROR', errorCode: 46 });
    const batchId = await batchFor([number, other]);
    const shown = await blocked(batchId);
    expect(shown.lastError).toMatch(/^Insufficient funds to send fax .* \(FAX_ERROR 46\)$/);
    const stuck = await testApp.app.services.deliveries.stuck();
    expect(stuck.items).toContainEqual(
      expect.objectContaining({
        kind: 'fax-blocked',
        deliveryId: Number(shown.id),
        reason: expect.stringContaining('Insufficient funds'),
      }),
    );
    expect(stuck.items.map((item) => item.reason).join(' ')).not.toContain(number);
    // Tried again and again, past the attempts a number gets, and still on the same number.
    await waitFor(async () => sentTo(number).length > 4, 'the blocked delivery to be tried again');
    expect(await blocked(batchId)).toMatchObject({ status: 'blocked', faxNumber: number });
    expect(sentTo(other)).toHaveLength(0);
    fake.always(number, null);
    const batch = await settled(batchId);
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', faxNumber: number, lastError: null });
    expect(sentTo(other)).toHaveLength(0);
  });

  it('blocks on a number the account may not dial and on a document Sinch cannot convert (FAX_ERROR 133, DOCUMENT_CONVERSION_ERROR 129)', async () => {
    const [number, other] = [faxNumber(), faxNumber()];
    fake.script(number, [
      { errorType: 'FAX_ERROR', errorCode: 133 },
      { errorType: 'DOCUMENT_CONVERSION_ERROR', errorCode: 129 },
    ]);
    const batchId = await batchFor([number, other]);
    expect((await blocked(batchId)).lastError).toBe('Phone number is not permitted (FAX_ERROR 133)');
    const batch = await settled(batchId);
    expect(batch.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 3, faxNumber: number });
    expect(sentTo(other)).toHaveLength(0);
  });

  it("blocks when Sinch refuses the submission for the account's sake (HTTP 401, 402, 403, 413), and moves on when a 400 names the number", async () => {
    for (const status of [401, 402, 403, 413]) {
      const number = faxNumber();
      fake.refuseCreates(status);
      const batchId = await batchFor([number, faxNumber()]);
      expect((await blocked(batchId)).lastError).toMatch(new RegExp(`^Sinch create fax: HTTP ${status} `));
      fake.refuseCreates(null);
      expect((await settled(batchId)).deliveries[0]).toMatchObject({
        status: 'delivered',
        faxNumber: number,
      });
    }
    const [bad, good] = [faxNumber(), faxNumber()];
    fake.refuseCreates(400, 'to');
    const batchId = await batchFor([bad, good]);
    await waitFor(async () => (await deliveryOf(batchId)).faxNumber === good, 'the next number');
    fake.refuseCreates(null);
    expect((await settled(batchId)).deliveries[0]).toMatchObject({ status: 'delivered', faxNumber: good });
  });

  it('tries a code in no list again on the same number, logging its code and never the number', async () => {
    const config = testConfig(database.url, env);
    const logs = new CapturedLogs();
    const provider = createSinchProvider({
      sinch: config.sinch,
      clock: () => new Date(),
      logger: createLogger('info', logs),
    });
    const number = faxNumber();
    fake.always(number, { errorType: 'FAX_ERROR', errorCode: 999 });
    const { providerFaxId } = await provider.submit({
      deliveryId: null,
      batchId: null,
      attempt: 1,
      campaignKeyword: 'X',
      targetName: 'Igor Krasnov',
      faxNumber: number,
      pages: 1,
      file: fake.submissions[0]?.pdfFile as string,
      callbackUrl: null,
      test: true,
    });
    const report = await waitFor(async () => {
      const read = await provider.get?.(providerFaxId);
      return read?.event.type === 'failed' ? read : null;
    }, 'the fax to fail');
    expect(report.event).toMatchObject({ kind: 'other', message: 'Unknown error (FAX_ERROR 999)' });
    expect(logs.text()).toContain('"errorCode":999');
    expect(logs.text()).not.toContain(number);
  });
});

describe('callbacks and requests as Sinch reads them', () => {
  it('answers every callback Sinch sent, JSON with the fax in base64, with 200', () => {
    expect(fake.callbacks.length).toBeGreaterThan(5);
    for (const callback of fake.callbacks) {
      expect(callback).toMatchObject({ contentType: 'application/json', status: 200 });
    }
  });

  it('answers a 3 MB JSON callback and a multipart one 200, and refuses one above 50 MB with 413', async () => {
    const number = faxNumber();
    const batch = await settled(await batchFor([number]));
    const { rows } = await database.pool.query('SELECT callback_token FROM fax_deliveries WHERE id = $1', [
      batch.deliveries[0].id,
    ]);
    const url = `${env.PUBLIC_BASE_URL}/webhooks/fax/sinch?token=${rows[0].callback_token}`;
    const fax = { id: sentTo(number)[0]?.fax.id, status: 'COMPLETED' };
    const big = JSON.stringify({
      event: 'FAX_COMPLETED',
      eventTime: new Date().toISOString(),
      fax,
      file: Buffer.alloc(2_300_000, 7).toString('base64'),
      fileType: 'PDF',
    });
    expect(big.length).toBeGreaterThan(3_000_000);
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(answer.status).toBe(200);
    const huge = await testApp.app.inject({
      method: 'POST',
      url: `/webhooks/fax/sinch?token=${rows[0].callback_token}`,
      headers: { 'content-type': 'application/json' },
      payload: Buffer.alloc(50 * 1024 * 1024 + 1, 32),
    });
    expect(huge.statusCode).toBe(413);
    const form = new FormData();
    form.set('event', 'FAX_COMPLETED');
    form.set('fax', JSON.stringify(fax));
    form.set('file', new Blob([Buffer.alloc(100_000, 7)], { type: 'application/pdf' }), 'fax.pdf');
    expect((await fetch(url, { method: 'POST', body: form })).status).toBe(200);
    expect(huge.json()).toMatchObject({ error: { code: expect.any(String) } });
  });

  it("sends and lists only what the SDK's request models allow, and finds a submission again by its labels", async () => {
    const number = faxNumber();
    const batch = await settled(await batchFor([number]));
    const config = testConfig(database.url, env);
    const provider = createSinchProvider({
      sinch: config.sinch,
      clock: () => new Date(),
      logger: quietLogger(),
    });
    const found = await provider.findByDelivery?.({
      to: number,
      since: new Date(Date.now() - 60_000),
      deliveryId: Number(batch.deliveries[0].id),
      attempt: 1,
    });
    expect(found?.providerFaxId).toBe(sentTo(number)[0]?.fax.id);
    expect(fake.listQueries.at(-1)?.['createTime>']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(sentTo(number)[0]?.request).toMatchObject({
      labels: { deliveryId: String(batch.deliveries[0].id), attempt: '1' },
      maxRetries: 0,
      callbackUrlContentType: 'application/json',
    });
    expect(fake.violations).toEqual([]);
  });

  it("refuses what the SDK's models do not allow, as Sinch would not read it as meant", async () => {
    const issued = await fetch(`${fake.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${fake.keyId}:${fake.keySecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const token = ((await issued.json()) as { access_token: string }).access_token;
    const faxes = `${fake.url}/v3/projects/${fake.projectId}/faxes`;
    const auth = { authorization: `Bearer ${token}` };
    const file = [{ file: Buffer.from('%PDF-1.4').toString('base64'), fileType: 'PDF' }];
    const send = (body: unknown) =>
      fetch(faxes, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await send({ to: '+74951234567', files: file, priority: 'high' })).status).toBe(400);
    expect((await send({ to: '+74951234567', files: file, maxRetries: '0' })).status).toBe(400);
    expect((await send({ to: '+74951234567', files: file, labels: { attempt: 1 } })).status).toBe(400);
    const form = new FormData();
    form.set('to', '+74951234567');
    form.set('labels', JSON.stringify({ deliveryId: '1' }));
    form.set('file', new Blob([Buffer.from('%PDF-1.4')], { type: 'application/pdf' }), 'fax.pdf');
    expect((await fetch(faxes, { method: 'POST', headers: auth, body: form })).status).toBe(400);
    const withMilliseconds = new URLSearchParams({
      to: '+74951234567',
      'createTime>': new Date().toISOString(),
    });
    const listed = await fetch(`${faxes}?${withMilliseconds}`, { headers: auth });
    expect(listed.status).toBe(400);
    expect(await listed.json()).toMatchObject({
      error: {
        code: 400,
        status: 'INVALID_ARGUMENT',
        details: [{ fieldViolations: [{ field: 'createTime>' }] }],
      },
    });
    expect(fake.violations).toHaveLength(5);
    // Those were this test's own; the product's requests are checked again once every test has run.
    fake.violations.length = 0;
  });
});

describe('business hours', () => {
  it("waits outside the target's business hours and sends when they open", async () => {
    let now = new Date('2030-11-23T12:00:00Z'); // a Saturday
    const clock = () => now;
    const config: Config = testConfig(database.url, { ...env, FAX_BUSINESS_HOURS: 'Mon-Fri 09:00-18:00' });
    const number = faxNumber();
    const keyword = `SINCH${String.fromCharCode(65 + nextKeyword++)}`;
    const campaign = await openCampaign(database, {
      keyword,
      title: 'Lawyer threatened',
      letter: { body: 'Please protect him.' },
      targets: [
        { name: 'Igor Krasnov', salutation: 'Dear Sir', faxNumbers: [number], timezone: 'Europe/Moscow' },
      ],
    });
    await signNames(database, keyword, ['Jane Smith']);
    const batches = createBatchesService({ db: database.db, clock, config });
    const batch = await batches.createBatch(campaign.id, { reason: 'manual', staffId: null });
    await batches.renderBatch(batch.id);
    const { rows } = await database.pool.query('SELECT id FROM fax_deliveries WHERE batch_id = $1', [
      batch.id,
    ]);
    const deliveryId = Number(rows[0].id);
    const delivery = createFaxSenderService({
      db: database.db,
      clock,
      config,
      provider: createSinchProvider({ sinch: config.sinch, clock, logger: quietLogger() }),
    });
    await delivery.send(deliveryId, { finalAttempt: false });
    expect(sentTo(number)).toHaveLength(0);
    const waiting = await database.pool.query(
      'SELECT status, next_attempt_at FROM fax_deliveries WHERE id = $1',
      [deliveryId],
    );
    // Monday 09:00 in Moscow.
    expect(waiting.rows[0]).toEqual({ status: 'waiting', next_attempt_at: new Date('2030-11-25T06:00:00Z') });
    now = new Date('2030-11-25T06:01:00Z');
    // The workers of this file may hold the row for the job that rendering queued (a send skips a
    // locked delivery), so the send is tried until it has gone; a second try after it is a no-op.
    await waitFor(async () => {
      await delivery.send(deliveryId, { finalAttempt: false });
      return sentTo(number).length > 0;
    }, 'the fax sent when business hours open');
    expect(sentTo(number)).toHaveLength(1);
  });
});

describe("the product's requests to Sinch, all of them", () => {
  it("were only what the SDK's models allow, and got only answers they allow", () => {
    expect(fake.submissions.length).toBeGreaterThan(20);
    expect(fake.violations).toEqual([]);
  });
});
