import { createHash, randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, consoleStaff } from '../console/session.js';
import { type FakeSinch, startFakeSinch } from '../fakes/sinch.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { waitFor } from '../fax/harness.js';
import { pdfText } from '../fax/pdf.js';
import { startFaxStack, type startFaxWorkers, stopFaxStack, tempDir } from '../fax/sinch-setup.js';
import type { apiAs } from '../helpers/api.js';
import { type TestApp, testConfig } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { replyText, type TextFn, textsTo } from '../helpers/phone.js';

/**
 * Proof of delivery over the real webhook, the fake Sinch and the fake Twilio: receipts whose SHA-256
 * is the PDF's, RECEIPT in its three states, the `batch:<id>` audience, and the public page.
 */
let database: TestDatabase;
let sinch: FakeSinch;
let twilio: FakeTwilio;
let testApp: TestApp;
let workers: Awaited<ReturnType<typeof startFaxWorkers>>;
let api: ReturnType<typeof apiAs>;
let text: TextFn;
let outboxDir: string;
let sinchDir: string;

const base = randomInt(100_000, 900_000);
let nextPhone = 0;
/** Every number a test texts from: none may appear on a public page. */
const phones: string[] = [];
function phone(): string {
  const number = `+4477${base}${String(nextPhone++).padStart(3, '0')}`;
  phones.push(number);
  return number;
}
let nextFax = 0;
const faxNumber = () => `+7495${String(2_000_000 + randomInt(0, 900_000) + nextFax++).padStart(7, '0')}`;

const PROSECUTOR = 'Prosecutor General of the Russian Federation';
const COMMITTEE = 'Chairman of the Investigation Committee';

async function campaignWith(keyword: string, numbers: [string, string], extra: Record<string, unknown> = {}) {
  return openCampaign(database, {
    keyword,
    title: 'Lawyer threatened for defending a client',
    summary: 'A lawyer in Nalchik gets death threats by text. Ask the authorities to protect him.',
    letter: { body: 'Please protect him.' },
    closesAt: new Date(Date.now() + 7 * 86_400_000),
    targets: [
      { name: PROSECUTOR, salutation: 'Dear Prosecutor General', faxNumbers: [numbers[0]] },
      {
        name: 'Aleksandr Bastrykin',
        title: COMMITTEE,
        salutation: 'Dear Chairman',
        faxNumbers: [numbers[1]],
      },
    ],
    ...extra,
  });
}

async function settled(batchId: string) {
  return waitFor(async () => {
    const batch = (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json();
    return ['delivered', 'written', 'failed', 'partly_failed'].includes(batch.status) ? batch : null;
  }, `batch ${batchId} to settle`);
}

async function faxNow(campaignId: number): Promise<string> {
  const created = await api({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/fax-batches` });
  expect(created.statusCode).toBe(202);
  return created.json().id as string;
}

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempDir('proof-outbox');
  sinchDir = tempDir('proof-sinch');
  sinch = await startFakeSinch({ dir: sinchDir });
  const { accountSid, authToken } = testConfig(database.url).twilio;
  twilio = await startFakeTwilio(accountSid, authToken);
  const port = await freePort();
  const env = {
    ...sinch.env(),
    FAX_OUTBOX_DIR: outboxDir,
    FAX_BUSINESS_HOURS: 'off',
    API_REQUESTS_PER_MINUTE: '1000000',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    SMS_SHORTCODE: '70505',
    TWILIO_API_BASE_URL: twilio.url,
    SMS_MAX_PER_SECOND: '100',
    ORG_TIMEZONE: 'Europe/Moscow',
  };
  ({ testApp, workers, api } = await startFaxStack(database, env, port));
  text = textsTo(testApp, `http://127.0.0.1:${port}`);
});

afterAll(async () => {
  await stopFaxStack([workers, testApp, sinch, twilio], database, [outboxDir, sinchDir]);
}, 120_000);

describe('proof of delivery', () => {
  it('receipts, RECEIPT, the batch: audience and the public page of a batch faxed to two authorities', async () => {
    const numbers: [string, string] = [faxNumber(), faxNumber()];
    const campaign = await campaignWith('PROOFA', numbers);
    const [jane, ivan, quitter, held, later, bystander] = [
      phone(),
      phone(),
      phone(),
      phone(),
      phone(),
      phone(),
    ];
    await text(jane, 'PROOFA Jane Smith');
    await text(ivan, 'PROOFA Ivan Petrov');
    await text(quitter, 'PROOFA Olga Sidorova');
    await text(quitter, 'STOP');
    expect(replyText(await text(held, 'PROOFA Fuck Face'))).toContain('check your name before it goes on');
    await text(bystander, 'JOIN Bob Bystander');

    // Waiting for the next fax.
    expect(replyText(await text(jane, 'RECEIPT'))).toBe(
      'Your name is waiting for the next PROOFA fax. We will tell you when it arrives. Amnesty International UK',
    );
    // No batch:<id> broadcast before the batch is received, nor of another campaign's batch.
    const batchId = await faxNow(campaign.id);
    const batch = await settled(batchId);
    expect(batch.status).toBe('delivered');

    // The receipt: one part to each authority, with what Sinch reports and the SHA-256 of the PDF sent.
    const receipt = (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}/receipt` })).json();
    expect(receipt).toMatchObject({ batchId, allReceived: true, dryRun: false, signatureCount: 3 });
    expect(receipt.deliveries).toHaveLength(2);
    const { rows: stored } = await database.pool.query(
      'SELECT id::text, document_path FROM fax_deliveries WHERE batch_id = $1',
      [batchId],
    );
    for (const [n, delivery] of receipt.deliveries.entries()) {
      const path = stored.find((row) => row.id === delivery.id)?.document_path as string;
      const sha = createHash('sha256')
        .update(readFileSync(resolve(outboxDir, path)))
        .digest('hex');
      const submission = sinch.submissions.find((s) => s.fax.to === numbers[n]);
      expect(delivery).toMatchObject({
        status: 'delivered',
        channel: 'fax',
        provider: 'sinch',
        providerFaxId: submission?.fax.id,
        address: numbers[n],
        documentSha256: sha,
        durationSeconds: null,
        remoteId: null,
        pagesSent: delivery.pages,
      });
      // What Sinch received is the document stored, byte for byte.
      expect(
        createHash('sha256')
          .update(readFileSync(submission?.pdfFile as string))
          .digest('hex'),
      ).toBe(sha);
      expect(Date.parse(delivery.startedAt)).toBeLessThanOrEqual(Date.parse(delivery.endedAt));
    }
    expect(receipt.sentence).toMatch(
      new RegExp(
        `^the ${PROSECUTOR} \\(fax, \\d{1,2} \\w{3} \\d\\d:\\d\\d\\) and the ${COMMITTEE} \\(fax, \\d{1,2} \\w{3} \\d\\d:\\d\\d\\)$`,
      ),
    );
    const pdf = await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}/receipt.pdf` });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const pdfFile = resolve(outboxDir, 'receipt.pdf');
    writeFileSync(pdfFile, pdf.rawPayload);
    const pdfWords = pdfText(pdfFile).replace(/\s+/g, ' ');
    for (const delivery of receipt.deliveries) {
      expect(pdfWords).toContain(delivery.documentSha256);
      expect(pdfWords).toContain(delivery.providerFaxId);
    }
    // The printable console page, and the PDF staff download from it.
    const staff = new ConsoleClient(testApp.app);
    const { email, password } = await consoleStaff(database, 'viewer');
    await staff.signIn(email, password);
    expect((await staff.get(`/console/fax-batches/${batchId}`)).body).toContain(
      `href="/console/fax-batches/${batchId}/receipt"`,
    );
    const printable = (await staff.get(`/console/fax-batches/${batchId}/receipt`)).body;
    expect(printable).toContain(`Received by ${receipt.sentence.replaceAll("'", '&#39;')}.`);
    for (const delivery of receipt.deliveries) {
      expect(printable).toContain(delivery.documentSha256);
      expect(printable).toContain(delivery.address);
    }
    expect(printable).toContain('not reported by the provider');
    const download = await staff.get(`/console/fax-batches/${batchId}/receipt.pdf`);
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="receipt-batch-${batchId}.pdf"`,
    );

    // RECEIPT: delivered to whom and when; held; waiting (a name signed after the batch).
    expect(replyText(await text(jane, 'PROOFA RECEIPT'))).toBe(
      // With its times the sentence would take a second segment: the authorities by name only.
      'Your name on the PROOFA fax reached the Prosecutor General of the Russian Federation and the Chairman of the Investigation Committee. Thank you!',
    );
    expect(replyText(await text(held, 'RECEIPT'))).toMatch(
      /^Your name for PROOFA is held: our team will check it/,
    );
    await text(later, 'PROOFA Late Comer');
    expect(replyText(await text(later, 'receipt'))).toMatch(/^Your name is waiting for the next PROOFA fax/);

    // The console offers the received batch's signers, and previews {receipt} filled in.
    const campaigner = new ConsoleClient(testApp.app);
    const account = await consoleStaff(database, 'campaigner');
    await campaigner.signIn(account.email, account.password);
    const updatesUrl = `/console/campaigns/${campaign.id}/updates`;
    expect((await campaigner.get(updatesUrl)).body).toContain(`value="batch:${batchId}"`);
    const preview = await campaigner.submit(updatesUrl, `${updatesUrl}/preview`, {
      body: 'Your name reached {receipt}.',
      audience: `batch:${batchId}`,
      smartEncoding: 'on',
    });
    expect(preview.body).toContain('2 people');
    expect(preview.body).toContain(`Your name reached ${receipt.sentence.replaceAll("'", '&#39;')}.`);

    // The compose counter counts {receipt} filled in, as the preview does: one segment typed, two sent.
    const long = `Your name reached {receipt}. ${'x'.repeat(100)}`;
    const counted = async (audience: string) =>
      (
        await campaigner.get(
          `/console/campaigns/${campaign.id}/segments.json?body=${encodeURIComponent(long)}&smartEncoding=on&audience=${audience}`,
        )
      ).json().fields;
    const longPreview = await campaigner.submit(updatesUrl, `${updatesUrl}/preview`, {
      body: long,
      audience: `batch:${batchId}`,
      smartEncoding: 'on',
    });
    expect(longPreview.body).toContain('<strong data-confirm="segments">2 segments</strong>');
    expect(await counted(`batch:${batchId}`)).toMatchObject({ segments: 2 });
    expect(await counted('signers')).toMatchObject({ segments: 2 });
    const compose = (
      await campaigner.submit(updatesUrl, `${updatesUrl}/edit`, {
        body: long,
        audience: `batch:${batchId}`,
        smartEncoding: 'on',
      })
    ).body;
    expect(compose).toContain('<span data-field="segments">2</span>');

    // The batch:<id> audience: exactly the batch's opted-in signers, once, with {receipt} filled in.
    const body = 'Your name reached {receipt}. Thank you!';
    const sent = await api({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/broadcasts`,
      payload: { body, audience: `batch:${batchId}` },
    });
    expect(sent.statusCode).toBe(202);
    expect(sent.json().audienceSize).toBe(2);
    const broadcastId = sent.json().id;
    await waitFor(async () => {
      const progress = (await api({ method: 'GET', url: `/api/v1/broadcasts/${broadcastId}` })).json();
      return progress.status === 'done' ? progress : null;
    }, 'the broadcast to finish');
    const expected = `Your name reached ${receipt.sentence}. Thank you!`;
    const got = twilio.messages.filter((m) => m.body.startsWith('Your name reached'));
    expect(got.map((m) => m.to).sort()).toEqual([jane, ivan].sort());
    expect(got.every((m) => m.body.startsWith(expected))).toBe(true);
    const progress = (await api({ method: 'GET', url: `/api/v1/broadcasts/${broadcastId}` })).json();
    expect(progress.audience).toBe(`batch:${batchId}`);

    // {receipt} needs a batch audience.
    const noBatch = await api({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/broadcasts`,
      payload: { body, audience: 'signers' },
    });
    expect(noBatch.statusCode).toBe(400);

    // The public page and its JSON: the count and the deliveries; no name, no number.
    const page = await testApp.app.inject({ method: 'GET', url: '/act/proofa' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['access-control-allow-origin']).toBe('*');
    expect(page.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(page.headers['cache-control']).toMatch(/max-age=\d/);
    const html = page.body;
    expect(html).toContain('<meta property="og:title" content="Lawyer threatened for defending a client">');
    expect(html).toContain('Text <strong>PROOFA</strong> and your full name to <strong>70505</strong>');
    expect(html).toMatch(/id="count"[^>]*>5</);
    expect(html.match(/Fax delivered, /g)).toHaveLength(2);
    expect(html).toContain(PROSECUTOR);
    const json = await testApp.app.inject({ method: 'GET', url: '/act/PROOFA.json' });
    expect(json.headers['access-control-allow-origin']).toBe('*');
    expect(json.json()).toMatchObject({
      keyword: 'PROOFA',
      status: 'open',
      signatureCount: 5,
      howToSign: { shortcode: '70505' },
      authorities: [
        {
          name: PROSECUTOR,
          deliveries: [{ channel: 'fax', pages: batch.deliveries[0].pages, dryRun: false }],
        },
        {
          name: COMMITTEE,
          deliveries: [{ channel: 'fax', pages: batch.deliveries[1].pages, dryRun: false }],
        },
      ],
    });
    const badge = await testApp.app.inject({ method: 'GET', url: '/act/PROOFA/badge.svg' });
    expect(badge.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(badge.body).toContain('>5</text>');
    const signerNames = ['Jane Smith', 'Ivan Petrov', 'Olga Sidorova', 'Fuck Face', 'Late Comer', 'Bob'];
    for (const published of [html, json.body, badge.body]) {
      for (const name of signerNames) expect(published).not.toContain(name);
      for (const number of [...phones, ...numbers]) {
        expect(published).not.toContain(number);
        expect(published).not.toContain(number.slice(1));
      }
    }
  });

  it('refuses a batch: audience until every target has received the batch, and another campaign’s batch', async () => {
    const numbers: [string, string] = [faxNumber(), faxNumber()];
    sinch.always(numbers[1], 'invalid-number');
    const campaign = await campaignWith('PROOFB', numbers);
    await text(phone(), 'PROOFB Maria Ivanova');
    const batchId = await faxNow(campaign.id);
    expect((await settled(batchId)).status).toBe('partly_failed');
    const refused = await api({
      method: 'POST',
      url: `/api/v1/campaigns/${campaign.id}/broadcasts`,
      payload: { body: 'Your name reached {receipt}.', audience: `batch:${batchId}` },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('batch_not_received');
    const other = await campaignWith('PROOFC', [faxNumber(), faxNumber()]);
    const elsewhere = await api({
      method: 'POST',
      url: `/api/v1/campaigns/${other.id}/broadcasts`,
      payload: { body: 'Thank you.', audience: `batch:${batchId}` },
    });
    expect(elsewhere.statusCode).toBe(409);
    expect(elsewhere.json().error.code).toBe('batch_not_in_campaign');
  });

  it('serves no public page for a draft, a campaign staff made not public, or an unknown keyword', async () => {
    await campaignWith('PROOFD', [faxNumber(), faxNumber()], { public: false });
    for (const url of [
      '/act/PROOFD',
      '/act/PROOFD.json',
      '/act/PROOFD/badge.svg',
      '/act/NOSUCH',
      '/act/%3Cx%3E',
    ]) {
      expect((await testApp.app.inject({ method: 'GET', url })).statusCode).toBe(404);
    }
    const draft = await api({
      method: 'POST',
      url: '/api/v1/campaigns',
      payload: {
        keyword: 'PROOFE',
        title: 'Draft',
        letter: { body: 'Please.' },
        targets: [{ name: PROSECUTOR, salutation: 'Dear Sir', faxNumbers: [faxNumber()] }],
      },
    });
    expect(draft.statusCode).toBe(201);
    expect(draft.json().public).toBe(true);
    expect((await testApp.app.inject({ method: 'GET', url: '/act/PROOFE' })).statusCode).toBe(404);
  });
});
