import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSmtp, startFakeSmtp } from '../fakes/smtp.js';
import { removeDir, signNames, uniqueQueuePrefix, waitFor } from '../fax/harness.js';
import { tempDir } from '../fax/sinch-setup.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../helpers/database.js';
import { type WorkerProcesses, workerProcesses } from '../helpers/worker-process.js';

const ADDRESS = 'prosecutor@example.org';

let database: TestDatabase;
let smtp: FakeSmtp;
let testApp: TestApp;
let processes: WorkerProcesses;
let outboxDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempDir('mail-crash-outbox');
  smtp = await startFakeSmtp();
  const env = {
    ...smtp.env(),
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL,
    MAIL_FROM: 'letters@example.org',
    SMS_QUIET_HOURS: 'off',
    FAX_OUTBOX_DIR: outboxDir,
    FAX_BUSINESS_HOURS: 'off',
    CRASH_QUEUE_PREFIX: uniqueQueuePrefix(),
  };
  testApp = await startTestApp(database, { env, databaseUrl: database.url });
  processes = workerProcesses(env);
});

afterAll(async () => {
  await processes?.close();
  await testApp?.close();
  await smtp?.close();
  await database?.drop();
  removeDir(outboxDir);
});

describe('a worker killed in the middle of an SMTP session', () => {
  it('sends no second copy of a message the server took, and leaves it for staff to resend', async () => {
    const campaign = await openCampaign(database, {
      keyword: 'MAILCRASH',
      title: 'Lawyer threatened',
      letter: { body: 'Please protect him.' },
      targets: [
        {
          name: 'Igor Krasnov',
          salutation: 'Dear Prosecutor General',
          faxNumbers: [],
          channel: 'email',
          emails: [ADDRESS],
        },
      ],
    });
    await signNames(database, 'MAILCRASH', ['Jane Smith', 'Анна Петрова']);
    const api = apiAs(testApp.app, (await staffToken(database, 'campaigner')).token);
    const created = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/fax-batches` });
    const batchId = created.json().id;
    const delivery = async () =>
      (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json().deliveries[0];

    // The server takes the whole message and keeps its reply back; the worker dies waiting for it.
    smtp.script(ADDRESS, ['hold']);
    const first = await processes.start();
    await smtp.held();
    await processes.kill(first);

    // The next worker runs the job again: it finds the send interrupted and does not repeat it.
    const second = await processes.start();
    const uncertain = await waitFor(
      async () => {
        const current = await delivery();
        return current.status === 'uncertain' ? current : null;
      },
      'the interrupted e-mail to be uncertain',
      20_000,
    );
    expect(uncertain.lastError).toMatch(/^prosecutor@example\.org: the send was interrupted/u);
    expect(smtp.received.filter((mail) => mail.to === ADDRESS && mail.kept)).toHaveLength(1);

    // Staff checked with the recipient and resend it: the same message, known by its Message-ID.
    const resent = await api({ method: 'POST', url: `/api/v1/fax-deliveries/${uncertain.id}/resend` });
    expect(resent.statusCode).toBe(202);
    await waitFor(async () => (await delivery()).status === 'delivered', 'the resent e-mail', 20_000);
    await processes.kill(second);
    const copies = smtp.received.filter((mail) => mail.to === ADDRESS);
    expect(copies.map((mail) => mail.answer)).toEqual(['hold', 'accept']);
    expect(new Set(copies.map((mail) => mail.messageId))).toEqual(new Set([uncertain.messageId]));
  }, 60_000);
});
