import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SENT_LOG } from '../../src/fax/providers/file.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { createRedis } from '../../src/queue/connection.js';
import type { Queues } from '../../src/queue/queues.js';
import { createServices, type Services } from '../../src/services.js';
import { createInboundService } from '../../src/sms/inbound.js';
import { newMessageSid } from '../../src/sms/simulator.js';
import { createPhoneCrypto } from '../../src/supporters/phone.js';
import { type RunningWorkers, startWorkers } from '../../workers/index.js';
import { CapturedLogs, testConfig } from '../helpers/app.js';
import type { TestDatabase } from '../helpers/database.js';

/** A fresh FAX_OUTBOX_DIR for a test file. */
export function tempOutboxDir(): string {
  return mkdtempSync(join(tmpdir(), 'pp-fax-'));
}

export const uniqueQueuePrefix = () => `pp_test_${randomBytes(4).toString('hex')}`;

export interface TestWorkers {
  workers: RunningWorkers;
  services: Services;
  logs: CapturedLogs;
  close(): Promise<void>;
}

/** The worker side, in-process, as `npm run start:worker` runs it; its queues are removed on close. */
export async function startTestWorkers(
  database: TestDatabase,
  options: { env: Record<string, string>; queuePrefix: string; clock?: () => Date },
): Promise<TestWorkers> {
  const config = testConfig(database.url, options.env);
  const logs = new CapturedLogs();
  const redis = createRedis(config.redis);
  const services = createServices({
    config,
    database,
    redis,
    logger: createLogger('info', logs),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const workers = await startWorkers({ services, queuePrefix: options.queuePrefix });
  return {
    workers,
    services,
    logs,
    async close() {
      if (redis.status === 'ready') await emptyQueues(workers.queues);
      await workers.close();
      redis.disconnect();
    },
  };
}

/**
 * Removes a test's jobs from Redis, but waits at most a few seconds: while workers still run they
 * may add jobs (polls, retries) as fast as obliterate removes them.
 */
export async function emptyQueues(queues: Queues): Promise<void> {
  const emptied = Promise.all(
    Object.values(queues).map((queue) => queue.obliterate({ force: true }).catch(() => {})),
  );
  await Promise.race([emptied, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
}

/** Polls until `probe` returns something truthy; fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let nextPhone = 0;

/**
 * Texts "KEYWORD name" from a new phone for each name, through the real inbound service (the webhook's
 * path after the signature check), a few at a time.
 */
export async function signNames(
  database: TestDatabase,
  keyword: string,
  names: readonly string[],
): Promise<void> {
  const config = testConfig(database.url);
  const inbound = createInboundService({
    database,
    phoneCrypto: createPhoneCrypto(config.phone),
    config,
    metrics: createMetrics(),
    clock: () => new Date(),
  });
  const base = process.pid * 100_000;
  for (let start = 0; start < names.length; start += 20) {
    await Promise.all(
      names.slice(start, start + 20).map((name) => {
        const phone = `+4477${String(base + nextPhone++)
          .padStart(8, '0')
          .slice(-8)}`;
        return inbound.handle({
          messageSid: newMessageSid(),
          from: phone,
          to: '70505',
          body: `${keyword} ${name}`,
          optOutType: null,
        });
      }),
    );
  }
}

export interface SentLine {
  at: string;
  providerFaxId: string;
  deliveryId: string | null;
  batchId: string | null;
  campaign: string;
  target: string;
  faxNumber: string;
  pages: number;
  file: string;
  test?: true;
}

export function sentLines(outboxDir: string): SentLine[] {
  let text = '';
  try {
    text = readFileSync(join(outboxDir, SENT_LOG), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
