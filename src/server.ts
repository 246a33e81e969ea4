import type { FastifyInstance } from 'fastify';
import { type RunningWorkers, startWorkers, WORKER_POOL_SIZE } from '../workers/index.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { createDatabase } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { createLogger } from './logger.js';
import { createRedis } from './queue/connection.js';
import { createServices } from './services.js';

type Role = 'all' | 'web' | 'worker';

/** Entry point: `all` (default) runs web and workers in one process; `web` or `worker` run one part. */
async function main(role: Role): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (config.dryRun.length > 0)
    logger.warn({ dryRun: config.dryRun }, `dry run: ${config.dryRun.join('; ')}`);
  await migrateDatabase(config.databaseUrl);
  // A worker holds a connection per text in flight to Twilio: it needs more than a web process.
  const database = createDatabase(config.databaseUrl, role === 'web' ? {} : { max: WORKER_POOL_SIZE });
  const redis = createRedis(config.redisUrl);

  const services = createServices({ config, database, redis, logger });

  let app: FastifyInstance | null = null;
  let workers: RunningWorkers | null = null;
  if (role !== 'web') workers = await startWorkers({ services });
  if (role !== 'worker') {
    app = await buildApp({ services });
    await app.listen({ port: config.port, host: config.host });
  }

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // Stop taking requests first, then let running jobs finish, then drop the connections.
    await app?.close();
    await workers?.close();
    redis.disconnect();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

const role = (process.argv[2] ?? 'all') as Role;
if (!['all', 'web', 'worker'].includes(role)) {
  console.error(`Unknown role "${role}": use all, web or worker.`);
  process.exit(2);
}
main(role).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
