import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetInput } from '../../src/campaigns/service.js';
import { type FakeSinch, startFakeSinch } from '../fakes/sinch.js';
import { type FakeSmtp, pdfAttachments, readable, startFakeSmtp } from '../fakes/smtp.js';
import { signNames, waitFor } from '../fax/harness.js';
import { readSignatories } from '../fax/pdf.js';
import { realisticNames } from '../fax/realistic-names.js';
import { startFaxStack, type startFaxWorkers, stopFaxStack, tempDir } from '../fax/sinch-setup.js';
import type { apiAs } from '../helpers/api.js';
import type { TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';

let database: TestDatabase;
let sinch: FakeSinch;
let smtp: FakeSmtp;
let testApp: TestApp;
let workers: Awaited<ReturnType<typeof startFaxWorkers>>;
let api: ReturnType<typeof apiAs>;
let outboxDir: string;
let fakeDir: string;
let nextKeyword = 0;
let nextNumber = 0;

const STAFF = 'campaigns-staff@example.org';
const faxNumber = () => `+7495${String(3_000_000 + nextNumber++).padStart(7, '0')}`;

/** An open campaign to one target, signed by `names`, and a batch of them; returns the batch id. */
async function batchFor(
  target: Partial<TargetInput>,
  names: readonly string[] = ['Jane Smith', 'Анна Петрова'],
  closesAt: Date | null = null,
) {
  const keyword = `MAIL${String.fromCharCode(65 + nextKeyword++)}`;
  const campaign = await openCampaign(database, {
    keyword,
    closesAt,
    title: 'Lawyer threatened',
    letter: { subject: 'Protect the lawyer', body: 'Please protect him.' },
    targets: [{ name: 'Igor Krasnov', salutation: 'Dear Prosecutor General', faxNumbers: [], ...target }],
  });
  await signNames(database, keyword, names);
  const created = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/fax-batches` });
  expect(created.statusCode).toBe(202);
  return created.json().id as string;
}

const batchOf = async (batchId: string) =>
  (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json();

async function settled(batchId: string) {
  return waitFor(async () => {
    const batch = await batchOf(batchId);
    return ['delivered', 'failed', 'partly_failed'].includes(batch.status) ? batch : null;
  }, `batch ${batchId} to settle`);
}

const sentTo = (address: string) => smtp.received.filter((mail) => mail.to === address);

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempDir('mail-outbox');
  fakeDir = tempDir('mail-sinch');
  sinch = await startFakeSinch({ dir: fakeDir });
  smtp = await startFakeSmtp();
  const port = await freePort();
  const env = {
    ...sinch.env(),
    ...smtp.env(),
    MAIL_FROM: 'letters@example.org',
    ORG_EMAIL: STAFF,
    FAX_OUTBOX_DIR: outboxDir,
    FAX_BUSINESS_HOURS: 'off',
    FAX_MAX_PAGES: '2',
    API_REQUESTS_PER_MINUTE: '1000000',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  };
  ({ testApp, workers, api } = await startFaxStack(database, env, port));
});

afterAll(async () => {
  await stopFaxStack([workers, testApp, sinch, smtp], database, [outboxDir, fakeDir]);
}, 120_000);

describe('e-mail to a target', () => {
  it('sends each part once by e-mail when both fax numbers are dead, and the batch is delivered', async () => {
    const numbers = [faxNumber(), faxNumber()];
    sinch.always(numbers[0] as string, 'invalid-number');
    sinch.always(numbers[1] as string, 'not-a-fax');
    const names = realisticNames(320);
    const batch = await settled(
      await batchFor({ faxNumbers: numbers, emails: ['prosecutor@example.org'] }, names),
    );
    expect(batch.status).toBe('delivered');
    const faxes = batch.deliveries.filter((d: { channel: string }) => d.channel === 'fax');
    const mails = batch.deliveries.filter((d: { channel: string }) => d.channel === 'email');
    expect(faxes.length).toBeGreaterThanOrEqual(2);
    for (const fax of faxes) {
      expect(fax).toMatchObject({ status: 'failed', address: numbers[1] });
      expect(fax.lastError).toMatch(/^Gave up after trying all 2 fax numbers/);
    }
    expect(mails).toHaveLength(faxes.length);
    for (const mail of mails) {
      expect(mail).toMatchObject({
        status: 'delivered',
        address: 'prosecutor@example.org',
        emailAddress: 'prosecutor@example.org',
        faxNumber: null,
        attempts: 1,
        serverReply: expect.stringMatching(/^250 /),
      });
    }
    // Each part arrived once, under the Message-ID the batch shows, with its PDF: every name, once.
    const received = sentTo('prosecutor@example.org');
    expect(received.map((mail) => mail.messageId).sort()).toEqual(
      mails.map((mail: { messageId: string }) => mail.messageId).sort(),
    );
    const signatories = received.flatMap((mail, index) => {
      const [pdf, ...more] = pdfAttachments(mail.raw);
      expect(more).toEqual([]);
      const file = join(outboxDir, `received-${index}.pdf`);
      writeFileSync(file, pdf as Buffer);
      return readSignatories(file).map((entry) => entry.name);
    });
    expect(signatories.sort()).toEqual([...names].sort());
    expect(received[0]?.subject).toMatch(/^Protect the lawyer \(part \d of \d\)$/u);
    expect(readable(received[0]?.raw ?? '')).toMatch(/Dear Prosecutor General,\r\n\r\nPlease protect him\./u);
    // A part that reached its target is no failure: staff hear nothing.
    expect(sentTo(STAFF)).toEqual([]);
  });

  it('e-mails a target whose fax is still failing within FAX_EMAIL_FALLBACK_HOURS of the deadline', async () => {
    const HOUR = 3_600_000;
    const channels = async (closesAt: Date) => {
      const number = faxNumber();
      // The line is busy twice, then the fax goes through: it never fails for good.
      sinch.script(number, ['busy', 'busy']);
      const batchId = await batchFor(
        { faxNumbers: [number], emails: ['deadline@example.org'] },
        undefined,
        closesAt,
      );
      // The part is received once either channel delivers it; the fax goes on being tried meanwhile.
      const batch = await waitFor(async () => {
        const current = await batchOf(batchId);
        const done = current.deliveries.every((d: { status: string }) => d.status === 'delivered');
        return current.status === 'delivered' && done ? current : null;
      }, 'every channel to deliver');
      return batch.deliveries.map((d: { channel: string; status: string }) => [d.channel, d.status]);
    };
    // Three hours before the deadline, the first busy line brings e-mail in; a week before, it does not.
    expect(await channels(new Date(Date.now() + 3 * HOUR))).toEqual([
      ['fax', 'delivered'],
      ['email', 'delivered'],
    ]);
    expect(await channels(new Date(Date.now() + 7 * 24 * HOUR))).toEqual([['fax', 'delivered']]);
    expect(sentTo('deadline@example.org')).toHaveLength(1);
  });

  it('tries again after a 451 until the server accepts', async () => {
    const address = 'greylisting@example.org';
    smtp.script(address, ['defer', 'defer']);
    const batch = await settled(await batchFor({ channel: 'email', emails: [address] }));
    expect(batch.status).toBe('delivered');
    expect(batch.deliveries).toHaveLength(1);
    expect(batch.deliveries[0]).toMatchObject({
      channel: 'email',
      status: 'delivered',
      attempts: 3,
      lastError: null,
      serverReply: expect.stringMatching(/^250 /),
    });
    const received = sentTo(address);
    expect(received.map((mail) => mail.answer)).toEqual(['defer', 'defer', 'accept']);
    expect(new Set(received.map((mail) => mail.messageId)).size).toBe(1);
  });

  it('moves on past a 550 to the next address, and e-mails staff when the last one refuses too', async () => {
    const addresses = ['gone@example.org', 'also-gone@example.org'];
    for (const address of addresses) smtp.script(address, ['refuse']);
    const batch = await settled(await batchFor({ channel: 'email', emails: addresses }));
    expect(batch.status).toBe('failed');
    expect(batch.deliveries[0]).toMatchObject({
      status: 'failed',
      address: 'also-gone@example.org',
      serverReply: expect.stringMatching(/^550 /),
      lastError:
        'Gave up after trying all 2 e-mail addresses; last: also-gone@example.org: 550 5.1.1 Mailbox unavailable: no such user',
    });
    const notice = await waitFor(async () => sentTo(STAFF)[0], 'the notice to staff');
    expect(notice.subject).toBe('Not delivered: Lawyer threatened to Igor Krasnov, part 1 of 1');
    expect(readable(notice.raw)).toContain(
      '- e-mail also-gone@example.org: Gave up after trying all 2 e-mail addresses',
    );
    expect(readable(notice.raw)).not.toContain('Jane Smith');
  });

  it('leaves an e-mail cut off mid-data uncertain for staff, who resend it with the same Message-ID', async () => {
    const address = 'flaky@example.org';
    smtp.script(address, ['drop']);
    const batchId = await batchFor({ channel: 'email', emails: [address] });
    const delivery = await waitFor(async () => {
      const [first] = (await batchOf(batchId)).deliveries;
      return first?.status === 'uncertain' ? first : null;
    }, 'the e-mail to be uncertain');
    expect(delivery.lastError).toMatch(
      /^flaky@example\.org: the connection ended .* The server may have it/u,
    );
    expect((await batchOf(batchId)).status).toBe('sending');
    const stuck = await testApp.app.services.deliveries.stuck();
    expect(stuck.items).toContainEqual(
      expect.objectContaining({ kind: 'email-uncertain', deliveryId: Number(delivery.id) }),
    );

    const resent = await api({ method: 'POST', url: `/api/v1/fax-deliveries/${delivery.id}/resend` });
    expect(resent.statusCode).toBe(202);
    const batch = await settled(batchId);
    expect(batch.status).toBe('delivered');
    expect(batch.deliveries[0]).toMatchObject({
      status: 'delivered',
      attempts: 2,
      messageId: delivery.messageId,
    });
    expect(sentTo(address).map((mail) => [mail.kept, mail.messageId])).toEqual([
      [false, delivery.messageId],
      [true, delivery.messageId],
    ]);
    const again = await api({ method: 'POST', url: `/api/v1/fax-deliveries/${delivery.id}/resend` });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('not_uncertain');
  });
});

describe("the product's requests to Sinch", () => {
  it("were only what the SDK's models allow, and got only answers they allow", () => {
    expect(sinch.violations).toEqual([]);
  });
});
