import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpTransport, type OutgoingMail, type SmtpTimeouts } from '../../src/mail/transport.js';
import { type FakeSmtp, startFakeSmtp, startSilentServer } from '../fakes/smtp.js';
import { signNames, waitFor } from '../fax/harness.js';
import { startFaxStack, type startFaxWorkers, stopFaxStack, tempDir } from '../fax/sinch-setup.js';
import type { apiAs } from '../helpers/api.js';
import type { TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';

/** Short, so that a silent or stalled server is given up within the test. */
const SHORT: SmtpTimeouts = { connectionTimeout: 1_000, greetingTimeout: 300, socketTimeout: 600 };
const LOGIN = { user: 'letters', pass: 'right-secret' };

let smtp: FakeSmtp;
let dir: string;
let mail: OutgoingMail;

beforeAll(async () => {
  smtp = await startFakeSmtp({ login: LOGIN });
  dir = tempDir('smtp');
  const pdf = join(dir, 'part.pdf');
  writeFileSync(pdf, '%PDF-1.4\n%%EOF\n');
  mail = {
    from: { name: 'Letters', address: 'letters@example.org' },
    to: 'prosecutor@example.org',
    replyTo: null,
    subject: 'Protect the lawyer',
    text: 'Please protect him.',
    messageId: '<part-1@example.org>',
    attachments: [{ filename: 'part.pdf', path: pdf }],
  };
});

afterAll(async () => {
  await smtp.close();
});

const url = (pass: string, port = smtp.port) => `smtp://${LOGIN.user}:${pass}@127.0.0.1:${port}`;

describe('the SMTP transport against a real server', () => {
  it('delivers with the right login', async () => {
    const outcome = await createSmtpTransport(url(LOGIN.pass), SHORT).send(mail);
    expect(outcome).toMatchObject({ status: 'accepted', reply: expect.stringMatching(/^250 /) });
  });

  it("takes a refused login (535) for the sender's problem, never the recipient's", async () => {
    const outcome = await createSmtpTransport(url('wrong'), SHORT).send(mail);
    expect(outcome).toEqual({ status: 'blocked', reply: expect.stringMatching(/^535 5\.7\.8 /) });
  });

  it("takes a refused MAIL FROM for the sender's problem, never the recipient's", async () => {
    smtp.refuseSender(true);
    try {
      const outcome = await createSmtpTransport(url(LOGIN.pass), SHORT).send(mail);
      expect(outcome).toEqual({ status: 'blocked', reply: expect.stringMatching(/^553 5\.7\.1 /) });
    } finally {
      smtp.refuseSender(false);
    }
  });

  it('gives up a server that never greets, to send again later', async () => {
    const silent = await startSilentServer();
    try {
      const outcome = await createSmtpTransport(url(LOGIN.pass, silent.port), SHORT).send(mail);
      expect(outcome).toEqual({ status: 'deferred', reply: 'Greeting never received' });
    } finally {
      await silent.close();
    }
  });

  it('gives up a server that stalls before the message, to send again later', async () => {
    smtp.stallAtSender(true);
    try {
      const outcome = await createSmtpTransport(url(LOGIN.pass), SHORT).send(mail);
      expect(outcome).toMatchObject({ status: 'deferred', reply: expect.stringMatching(/timeout/i) });
    } finally {
      smtp.stallAtSender(false);
    }
  });
});

describe('an e-mail blocked by our own login', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let workers: Awaited<ReturnType<typeof startFaxWorkers>>;
  let api: ReturnType<typeof apiAs>;
  let outboxDir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    outboxDir = tempDir('smtp-outbox');
    const port = await freePort();
    smtp.setPassword('rotated-secret');
    const env = {
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: url(LOGIN.pass),
      MAIL_FROM: 'letters@example.org',
      ORG_EMAIL: 'staff@example.org',
      FAX_OUTBOX_DIR: outboxDir,
      FAX_BUSINESS_HOURS: 'off',
      API_REQUESTS_PER_MINUTE: '1000000',
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    };
    ({ testApp, workers, api } = await startFaxStack(database, env, port));
  });

  afterAll(async () => {
    smtp.setPassword(LOGIN.pass);
    await stopFaxStack([workers, testApp], database, [outboxDir, dir]);
  }, 120_000);

  it('is shown to staff as blocked with the reason, tried again, and sent once the login is fixed', async () => {
    const campaign = await openCampaign(database, {
      keyword: 'SMTPA',
      title: 'Lawyer threatened',
      letter: { subject: 'Protect the lawyer', body: 'Please protect him.' },
      targets: [
        {
          name: 'Igor Krasnov',
          salutation: 'Dear Prosecutor General',
          faxNumbers: [],
          emails: ['prosecutor@example.org'],
          channel: 'email',
        },
      ],
    });
    await signNames(database, 'SMTPA', ['Jane Smith']);
    const created = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/fax-batches` });
    expect(created.statusCode).toBe(202);
    const batchId = created.json().id as string;
    const delivery = async () =>
      (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json().deliveries[0];
    const blocked = await waitFor(async () => {
      const current = await delivery();
      return current.status === 'blocked' ? current : null;
    }, 'the e-mail to be blocked');
    expect(blocked).toMatchObject({
      address: 'prosecutor@example.org',
      serverReply: expect.stringMatching(/^535 /),
    });
    expect(blocked.lastError).toMatch(/^The mail server refused our sender, not the recipient/);
    const stuck = await testApp.app.services.deliveries.stuck();
    expect(stuck.items).toContainEqual(
      expect.objectContaining({ kind: 'email-blocked', deliveryId: Number(blocked.id) }),
    );
    expect(smtp.received.filter((received) => received.messageId === blocked.messageId)).toEqual([]);
    smtp.setPassword(LOGIN.pass);
    const sent = await waitFor(async () => {
      const current = await delivery();
      return current.status === 'delivered' ? current : null;
    }, 'the e-mail to be sent once the login is fixed');
    expect(sent).toMatchObject({ address: 'prosecutor@example.org', lastError: null });
    expect(smtp.received.filter((received) => received.messageId === blocked.messageId)).toHaveLength(1);
  });
});
