/**
 * The worker process of the crash test: the real workers, configured from the environment the test
 * gives it, with short fax waits and BullMQ noticing a killed worker's jobs within a second.
 */
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/queue/connection.js';
import { createServices } from '../../src/services.js';
import { startWorkers } from '../../workers/index.js';
import { FAST_TIMING } from './sinch-setup.js';

const config = loadConfig(process.env);
const database = createDatabase(config.databaseUrl, { max: 10 });
const redis = createRedis(config.redis);
await startWorkers({
  services: createServices({
    config,
    database,
    redis,
    logger: createLogger('warn'),
    faxTiming: FAST_TIMING,
  }),
  queuePrefix: process.env.CRASH_QUEUE_PREFIX as string,
  stalled: { lockDurationMs: 1_000, stalledIntervalMs: 500, maxStalledCount: 1_000 },
});
process.send?.('started');
