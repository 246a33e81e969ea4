import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import {
  removeDir,
  sentLines,
  signNames,
  startTestWorkers,
  type TestWorkers,
  tempOutboxDir,
  uniqueQueuePrefix,
  waitFor,
} from './harness.js';
import { pdfPages, pdfText, readSignatories } from './pdf.js';
import { realisticNames } from './realistic-names.js';

let database: TestDatabase;
let server: TestApp;
let workers: TestWorkers;
let outboxDir: string;
let campaigner: ReturnType<typeof apiAs>;
let viewer: ReturnType<typeof apiAs>;

const prosecutor = {
  name: 'Igor Krasnov',
  title: 'Prosecutor General',
  organisation: 'Prosecutor General’s Office of the Russian Federation',
  address: 'ul. Bolshaya Dmitrovka 15a\nMoscow 125993',
  salutation: 'Dear Prosecutor General',
  faxNumbers: ['+442079460111', '+442079460112'],
};
const head = {
  name: 'Ramzan Kadyrov',
  title: 'Head of the Chechen Republic',
  salutation: 'Dear Head of the Republic',
  faxNumbers: ['+442079460222'],
};

function campaignInput(keyword: string, targets = [prosecutor, head]) {
  return {
    keyword,
    title: `${keyword}: lawyer threatened`,
    reference: `UA ${keyword}`,
    letter: { subject: 'Protect lawyer Magamed Abubakarov', body: 'We urge you to protect him.' },
    targets,
    closesAt: new Date(Date.now() + 14 * 86_400_000),
  };
}

async function query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await database.pool.query(text, params)).rows as T[];
}

async function waitForBatch(id: string, status = 'written') {
  return waitFor(async () => {
    const response = await viewer({ method: 'GET', url: `/api/v1/fax-batches/${id}` });
    const batch = response.json();
    return batch.status === status ? batch : null;
  }, `batch ${id} ${status}`);
}

async function documentOf(batchId: string, targetId: string, part = 1): Promise<string> {
  const response = await viewer({
    method: 'GET',
    url: `/api/v1/fax-batches/${batchId}/document?targetId=${targetId}&part=${part}`,
  });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('application/pdf');
  const file = join(outboxDir, `read-${batchId}-${targetId}-${part}.pdf`);
  writeFileSync(file, response.rawPayload);
  return file;
}

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempOutboxDir();
  // Two pages a part: a letter page and one page of names, so a few hundred names make several parts.
  const env = { FAX_OUTBOX_DIR: outboxDir, FAX_MAX_PAGES: '2' };
  server = await startTestApp(database, { env });
  workers = await startTestWorkers(database, { env, queuePrefix: uniqueQueuePrefix() });
  campaigner = apiAs(server.app, (await staffToken(database, 'campaigner')).token);
  viewer = apiAs(server.app, (await staffToken(database, 'viewer')).token);
});

afterAll(async () => {
  await workers?.close();
  await server?.close();
  await database?.drop();
  removeDir(outboxDir);
});

describe('a batch to two targets', () => {
  const eligible = [
    'Jane Smith',
    'José Álvarez Ibáñez',
    "Siobhán O'Brien",
    'Łukasz Żółkiewski',
    'Анна Петрова',
    'Пётр Ильич Чайковский',
    'Zoë Brontë',
    'Наталья Воскресенская-Оболенская',
  ];
  let campaignId: string;
  let batchId: string;

  beforeAll(async () => {
    const campaign = await openCampaign(database, campaignInput('MAGAMED'));
    campaignId = String(campaign.id);
    await signNames(database, 'MAGAMED', eligible.slice(0, 4));
    // Held by the profanity filter, then one hidden by staff, then one late reply.
    await signNames(database, 'MAGAMED', ['Сука Петров', 'Dick Van Dyke', 'Hidden Harriet']);
    await query(`UPDATE signatures SET status = 'hidden' WHERE name = 'Hidden Harriet'`);
    await query(`UPDATE campaigns SET closes_at = now() - interval '1 hour' WHERE id = $1`, [campaignId]);
    await signNames(database, 'MAGAMED', ['Laura Latecomer']);
    await query(`UPDATE campaigns SET closes_at = now() + interval '14 days' WHERE id = $1`, [campaignId]);
    await signNames(database, 'MAGAMED', eligible.slice(4));
    const statuses = await query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM signatures WHERE campaign_id = $1 GROUP BY status ORDER BY status`,
      [campaignId],
    );
    expect(statuses).toEqual([
      { status: 'valid', n: eligible.length },
      { status: 'held', n: 2 },
      { status: 'hidden', n: 1 },
      { status: 'late', n: 1 },
    ]);
  });

  it('is accepted with the names waiting and a cost estimate', async () => {
    const response = await campaigner({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/fax-batches` });
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ status: 'pending', signatureCount: eligible.length, pages: 4 });
    expect(body.estimatedCost).toBeCloseTo(4 * 0.07);
    expect(body.estimatedSeconds).toBe(4 * 40);
    expect(typeof body.id).toBe('string');
    batchId = body.id;
  });

  it('is written to the outbox for each target at its first number (a dry run, not delivered), and shows it', async () => {
    const batch = await waitForBatch(batchId);
    expect(batch).toMatchObject({
      id: batchId,
      campaignId,
      status: 'written',
      reason: 'manual',
      signatureCount: eligible.length,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      completedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(batch.deliveries).toEqual([
      expect.objectContaining({
        targetName: 'Igor Krasnov',
        part: 1,
        parts: 1,
        pages: 2,
        status: 'written',
        attempts: 1,
        faxNumber: '+442079460111',
        lastError: null,
        estimatedSeconds: 80,
        // What the file provider reports: when and how many pages it wrote; no call, no remote machine.
        providerCompletedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        pagesSent: 2,
        durationSeconds: null,
        remoteId: null,
      }),
      expect.objectContaining({
        targetName: 'Ramzan Kadyrov',
        status: 'written',
        attempts: 1,
        faxNumber: '+442079460222',
      }),
    ]);
    const list = await viewer({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/fax-batches` });
    expect(list.json()).toMatchObject({ items: [{ id: batchId, status: 'written' }], nextCursor: null });
  });

  it('carries every eligible name exactly once per target, in signing order, and no other', async () => {
    const batch = await waitForBatch(batchId);
    const claimed = await query<{ name: string }>(
      'SELECT name FROM signatures WHERE batch_id = $1 ORDER BY id',
      [batchId],
    );
    expect(claimed.map((row) => row.name).sort()).toEqual([...eligible].sort());
    for (const delivery of batch.deliveries) {
      const file = await documentOf(batchId, delivery.targetId);
      expect(pdfPages(file)).toBe(2);
      expect(readSignatories(file)).toEqual(
        claimed.map((row, index) => ({ number: index + 1, name: row.name })),
      );
      const text = pdfText(file);
      for (const absent of ['Сука', 'Dick', 'Harriet', 'Latecomer']) expect(text).not.toContain(absent);
      expect(pdfText(file, 1)).toContain(`signed by ${eligible.length} supporters`);
    }
    expect(pdfText(await documentOf(batchId, batch.deliveries[1].targetId), 1)).toContain(
      'Dear Head of the Republic,',
    );
  });

  it('logs each send in sent.jsonl with the public fax number and no supporter data', async () => {
    const lines = sentLines(outboxDir)
      .filter((line) => line.batchId === batchId)
      .sort((a, b) => a.target.localeCompare(b.target));
    expect(lines).toEqual([
      expect.objectContaining({
        campaign: 'MAGAMED',
        target: 'Igor Krasnov',
        faxNumber: '+442079460111',
        pages: 2,
        file: expect.stringMatching(/^batches\/\d+\/\d+\.pdf$/),
      }),
      expect.objectContaining({ target: 'Ramzan Kadyrov', faxNumber: '+442079460222' }),
    ]);
    const text = JSON.stringify(lines);
    for (const name of eligible) expect(text).not.toContain(name);
    expect(text).not.toMatch(/\+447/);
  });

  it('answers 409 when no name waits', async () => {
    const response = await campaigner({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/fax-batches` });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('nothing_to_send');
  });

  it('previews what would be sent now: the waiting names only', async () => {
    await signNames(database, 'MAGAMED', ['Newcomer Nadia']);
    const response = await viewer({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/fax-preview` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers).toMatchObject({
      'x-fax-signatures': '1',
      'x-fax-parts': '1',
      'x-fax-pages': '2',
      'x-fax-batch-pages': '4',
      'x-fax-estimated-seconds': '160',
    });
    const file = join(outboxDir, 'preview.pdf');
    writeFileSync(file, response.rawPayload);
    expect(readSignatories(file)).toEqual([{ number: 1, name: 'Newcomer Nadia' }]);
    expect(pdfText(file, 1)).toContain('Dear Prosecutor General,');

    const [second] = await query<{ id: string }>(
      'SELECT id FROM targets WHERE campaign_id = $1 ORDER BY position DESC LIMIT 1',
      [campaignId],
    );
    const other = await viewer({
      method: 'GET',
      url: `/api/v1/campaigns/${campaignId}/fax-preview?targetId=${second?.id}`,
    });
    writeFileSync(file, other.rawPayload);
    expect(pdfText(file, 1)).toContain('Dear Head of the Republic,');
  });

  it('sends a test fax of the current document without claiming a name or making a batch', async () => {
    const response = await campaigner({
      method: 'POST',
      url: `/api/v1/campaigns/${campaignId}/test-fax`,
      payload: { faxNumber: '+442079460999' },
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ campaignId, faxNumber: '+442079460999', status: 'queued' });
    const line = await waitFor(
      async () => sentLines(outboxDir).find((sent) => sent.test && sent.faxNumber === '+442079460999'),
      'the test fax',
    );
    expect(line).toMatchObject({ campaign: 'MAGAMED', target: 'Igor Krasnov', pages: 2, batchId: null });
    expect(readSignatories(join(outboxDir, line.file))).toEqual([{ number: 1, name: 'Newcomer Nadia' }]);
    const [waiting] = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM signatures WHERE campaign_id = $1 AND status = 'valid' AND batch_id IS NULL`,
      [campaignId],
    );
    expect(waiting?.n).toBe(1);
    const batches = await viewer({ method: 'GET', url: `/api/v1/campaigns/${campaignId}/fax-batches` });
    expect(batches.json().items).toHaveLength(1);
  });

  it('refuses a test fax to a number that is not E.164, and writes to viewers', async () => {
    const bad = await campaigner({
      method: 'POST',
      url: `/api/v1/campaigns/${campaignId}/test-fax`,
      payload: { faxNumber: '020 7946 0999' },
    });
    expect(bad.statusCode).toBe(400);
    const forbidden = await viewer({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/fax-batches` });
    expect(forbidden.statusCode).toBe(403);
  });

  it('serves no document for a part that does not exist', async () => {
    const response = await viewer({
      method: 'GET',
      url: `/api/v1/fax-batches/${batchId}/document?targetId=1&part=9`,
    });
    expect(response.statusCode).toBe(404);
  });
});

describe('two batch requests at once', () => {
  it('claim disjoint signatures, all of them between the two', async () => {
    const campaign = await openCampaign(database, campaignInput('KALYAPIN', [prosecutor]));
    await signNames(database, 'KALYAPIN', realisticNames(40));
    const url = `/api/v1/campaigns/${campaign.id}/fax-batches`;
    const responses = await Promise.all([
      campaigner({ method: 'POST', url }),
      campaigner({ method: 'POST', url }),
    ]);
    const accepted = responses.filter((response) => response.statusCode === 202).map((r) => r.json());
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    for (const response of responses.filter((r) => r.statusCode !== 202)) {
      expect(response.statusCode).toBe(409);
    }
    const claimed = await query<{ batch_id: string; n: number }>(
      `SELECT batch_id, count(*)::int AS n FROM signatures WHERE campaign_id = $1 AND status = 'valid'
       GROUP BY batch_id ORDER BY batch_id`,
      [campaign.id],
    );
    expect(claimed.every((row) => row.batch_id !== null)).toBe(true);
    expect(claimed.reduce((sum, row) => sum + row.n, 0)).toBe(40);
    expect(accepted.reduce((sum, batch) => sum + batch.signatureCount, 0)).toBe(40);
    for (const batch of accepted) await waitForBatch(batch.id);
  });
});

describe('a batch longer than FAX_MAX_PAGES', () => {
  it('makes its test fax of part 1 alone, the names of the preview, read a chunk at a time', async () => {
    const campaign = await openCampaign(database, campaignInput('BAKIEV', [prosecutor]));
    await signNames(database, 'BAKIEV', realisticNames(700));
    const preview = await viewer({ method: 'GET', url: `/api/v1/campaigns/${campaign.id}/fax-preview` });
    expect(Number(preview.headers['x-fax-parts'])).toBeGreaterThanOrEqual(3);
    const previewFile = join(outboxDir, 'bakiev-preview.pdf');
    writeFileSync(previewFile, preview.rawPayload);

    const response = await campaigner({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/test-fax`,
      payload: { faxNumber: '+442079460998' },
    });
    expect(response.statusCode).toBe(202);
    const line = await waitFor(
      async () => sentLines(outboxDir).find((sent) => sent.test && sent.faxNumber === '+442079460998'),
      'the test fax',
    );
    const file = join(outboxDir, line.file);
    const names = readSignatories(file);
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(700);
    expect(names).toEqual(readSignatories(previewFile));
    expect(pdfPages(file)).toBe(pdfPages(previewFile));
    expect(pdfText(file, 1)).toContain('signed by 700 supporters');
  });

  it('is split into parts, each with its own letter page, together carrying every name once', async () => {
    const campaign = await openCampaign(database, campaignInput('ALAMOV', [prosecutor]));
    await signNames(database, 'ALAMOV', realisticNames(800));
    const created = await campaigner({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/fax-batches` });
    expect(created.statusCode).toBe(202);
    const batch = await waitForBatch(created.json().id);
    const parts = batch.deliveries.length;
    expect(parts).toBeGreaterThanOrEqual(3);
    expect(batch.deliveries.map((delivery: { part: number }) => delivery.part)).toEqual(
      Array.from({ length: parts }, (_, index) => index + 1),
    );

    const claimed = await query<{ name: string }>(
      'SELECT name FROM signatures WHERE batch_id = $1 ORDER BY id',
      [batch.id],
    );
    expect(claimed).toHaveLength(batch.signatureCount);
    const read: Array<{ number: number; name: string }> = [];
    for (const delivery of batch.deliveries) {
      expect(delivery.pages).toBeLessThanOrEqual(2);
      const file = await documentOf(batch.id, delivery.targetId, delivery.part);
      expect(pdfPages(file)).toBe(delivery.pages);
      expect(pdfText(file, 1)).toContain(`Part ${delivery.part} of ${parts}.`);
      read.push(...readSignatories(file));
    }
    expect(read).toEqual(claimed.map((row, index) => ({ number: index + 1, name: row.name })));
  });
});
