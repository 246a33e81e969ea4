import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryTiming } from '../../src/fax/timing.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/queue/connection.js';
import { createServices } from '../../src/services.js';
import { startWorkers } from '../../workers/index.js';
import { apiAs, staffToken } from '../helpers/api.js';
import { CapturedLogs, startTestApp, testConfig } from '../helpers/app.js';
import { dropDatabase, type TestDatabase } from '../helpers/database.js';
import { emptyQueues, removeDir, uniqueQueuePrefix } from './harness.js';

/** Teardown under a loaded machine must not outlast the hook: each step gets a bounded wait. */
export const atMost = (step: Promise<unknown> | undefined, ms = 15_000) =>
  Promise.race([step, new Promise((resolve) => setTimeout(resolve, ms).unref())]);

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `pp-${name}-`));

/** Short waits, so that retries happen within a test. */
export const FAST_TIMING: Partial<DeliveryTiming> = {
  retryDelaysMs: [100, 200, 300],
  maxAttemptsPerNumber: 3,
  pollEveryMs: 300,
  blockedRetryMs: 400,
};

/** The workers in-process with short fax waits; their queues are removed on close. */
export async function startFaxWorkers(
  database: TestDatabase,
  env: Record<string, string>,
  queuePrefix: string,
  timing: Partial<DeliveryTiming> = FAST_TIMING,
) {
  const config = testConfig(database.url, env);
  const redis = createRedis(config.redis);
  const workers = await startWorkers({
    services: createServices({
      config,
      database,
      redis,
      logger: createLogger('info', new CapturedLogs()),
      faxTiming: timing,
    }),
    queuePrefix,
  });
  return {
    workers,
    async close() {
      await emptyQueues(workers.queues);
      await workers.close();
      redis.disconnect();
    },
  };
}

/** The app listening on `port` and the fax workers over one test database, with a campaigner's API. */
export async function startFaxStack(database: TestDatabase, env: Record<string, string>, port: number) {
  const testApp = await startTestApp(database, { env, databaseUrl: database.url });
  await testApp.app.listen({ port, host: '127.0.0.1' });
  const workers = await startFaxWorkers(database, env, uniqueQueuePrefix());
  const api = apiAs(testApp.app, (await staffToken(database, 'campaigner')).token);
  return { testApp, workers, api };
}

/**
 * Stops what a test started, in order and each step bounded, then drops its database (FORCE ends the
 * connections a job still running may hold, which a pool's end() would wait for) and its folders.
 */
export async function stopFaxStack(
  started: Array<{ close(): Promise<unknown> } | undefined>,
  database: TestDatabase | undefined,
  dirs: string[],
) {
  for (const part of started) await atMost(part?.close());
  if (database) await dropDatabase(database.url);
  await atMost(database?.close());
  for (const dir of dirs) removeDir(dir);
}
