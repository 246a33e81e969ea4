import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createRedis, type RedisClient } from '../../src/queue/connection.js';
import { createServices } from '../../src/services.js';
import { REDIS_URL } from './database.js';

/** Every line the app logged, kept so that tests can look for what must never be logged. */
export class CapturedLogs extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    LOG_LEVEL: 'info',
    SMS_QUIET_HOURS: 'off',
    // Of the form Twilio's definition gives an account SID (the fake Twilio answers with it).
    TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
    // A spool directory of each app's own, so that no app replays another's files.
    SPOOL_DIR: join(tmpdir(), `pp-spool-${randomBytes(6).toString('hex')}`),
    ...env,
  });
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  redis: RedisClient;
  logs: CapturedLogs;
  /** This app's Redis prefix (QUEUE_PREFIX). */
  queuePrefix: string;
  close(): Promise<void>;
}

export async function startTestApp(
  database: Database,
  options: { env?: Record<string, string>; databaseUrl?: string; clock?: () => Date } = {},
): Promise<TestApp> {
  // Each app its own Redis prefix, so that test files never share rate-limit counts; two apps given the
  // same QUEUE_PREFIX share them, as two web processes of one install do.
  const queuePrefix = `{pp_test_${randomBytes(4).toString('hex')}}`;
  const config = testConfig(options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/unused', {
    QUEUE_PREFIX: queuePrefix,
    ...options.env,
  });
  const logs = new CapturedLogs();
  const redis = createRedis(config.redis);
  const services = createServices({
    config,
    database,
    redis,
    logger: createLogger('info', logs),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const app = await buildApp({ services });
  await app.ready();
  return {
    app,
    config,
    redis,
    logs,
    queuePrefix: config.queuePrefix,
    async close() {
      await app.close();
      redis.disconnect();
    },
  };
}
