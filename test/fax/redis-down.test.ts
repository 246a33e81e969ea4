import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openCampaign } from '../helpers/campaigns.js';
import { createTestDatabase, type TestDatabase, UNREACHABLE_REDIS_URL } from '../helpers/database.js';
import {
  removeDir,
  sentLines,
  signNames,
  startTestWorkers,
  tempOutboxDir,
  uniqueQueuePrefix,
  waitFor,
} from './harness.js';

let database: TestDatabase;
let server: TestApp;
let outboxDir: string;
let env: Record<string, string>;
const queuePrefix = uniqueQueuePrefix();

beforeAll(async () => {
  database = await createTestDatabase();
  outboxDir = tempOutboxDir();
  env = { FAX_OUTBOX_DIR: outboxDir };
  server = await startTestApp(database, { env: { ...env, REDIS_URL: UNREACHABLE_REDIS_URL } });
});

afterAll(async () => {
  await server?.close();
  await database?.drop();
  removeDir(outboxDir);
});

async function outboxRows() {
  const { rows } = await database.pool.query(
    'SELECT queue, job_name, payload, enqueued_at FROM outbox ORDER BY id',
  );
  return rows;
}

describe('a batch asked for while Redis is down', () => {
  let batchId: string;
  let api: ReturnType<typeof apiAs>;

  it('is accepted, and its work waits in the outbox', async () => {
    const campaign = await openCampaign(database, {
      keyword: 'MAGAMED',
      title: 'Lawyer threatened',
      letter: { body: 'Please protect him.' },
      targets: [
        { name: 'Igor Krasnov', salutation: 'Dear Prosecutor General', faxNumbers: ['+442079460111'] },
      ],
    });
    await signNames(database, 'MAGAMED', ['Jane Smith', 'Анна Петрова']);
    api = apiAs(server.app, (await staffToken(database, 'campaigner')).token);
    const response = await api({ method: 'POST', url: `/api/v1/campaigns/${campaign.id}/fax-batches` });
    expect(response.statusCode).toBe(202);
    batchId = response.json().id;
    expect(response.json()).toMatchObject({ status: 'pending', signatureCount: 2 });
    expect(await outboxRows()).toEqual([
      {
        queue: 'fax-render',
        job_name: 'render-batch',
        payload: { batchId: Number(batchId) },
        enqueued_at: null,
      },
    ]);
    const document = await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}/document?targetId=1` });
    expect(document.statusCode).toBe(404);
    expect(document.json().error.code).toBe('not_rendered');
  });

  it('stays in the outbox while the relay cannot reach Redis, with a warning that names nothing', async () => {
    const down = await startTestWorkers(database, {
      env: { ...env, REDIS_URL: UNREACHABLE_REDIS_URL },
      queuePrefix,
    });
    try {
      await waitFor(async () => down.logs.text().includes('outbox relay cannot enqueue'), 'the warning');
      expect((await outboxRows())[0].enqueued_at).toBeNull();
      expect(down.logs.text()).not.toContain('Jane Smith');
      expect(down.logs.text()).not.toContain('batchId');
    } finally {
      await down.close();
    }
  });

  it('is sent once a relay with Redis up runs', async () => {
    const up = await startTestWorkers(database, { env, queuePrefix });
    try {
      const batch = await waitFor(async () => {
        const body = (await api({ method: 'GET', url: `/api/v1/fax-batches/${batchId}` })).json();
        return body.status === 'written' ? body : null;
      }, 'the batch written');
      expect(batch.deliveries).toEqual([expect.objectContaining({ status: 'written', attempts: 1 })]);
      expect(sentLines(outboxDir).filter((line) => line.batchId === batchId)).toHaveLength(1);
      expect((await outboxRows()).every((row) => row.enqueued_at !== null)).toBe(true);
    } finally {
      await up.close();
    }
  });
});
