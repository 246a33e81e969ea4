import type { FastifyInstance } from 'fastify';
import { type RunningWorkers, startWorkers, WORKER_POOL_SIZE } from '../workers/index.js';
import { buildApp } from './app.js';
import { type Config, ConfigError, loadConfig, loadDotEnv } from './config.js';
import { createDatabase } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { letterheadWarning } from './fax/letterhead.js';
import { createLogger } from './logger.js';
import { localServerUrl, reason, unreachable } from './ops/addresses.js';
import { checkRedis } from './ops/connections.js';
import { type MetricsServer, serveMetrics } from './ops/metrics-server.js';
import { createRedis, describeRedis } from './queue/connection.js';
import { createServices } from './services.js';

type Role = 'all' | 'web' | 'worker';

/** A failure at start-up that is fully said in one line (no stack trace helps the reader). */
class StartupError extends Error {}

/** The few lines a person reads once `npm start` listens: where things are and how to try it. */
export function banner(config: Config, role: Role, redisProblem: string | null): string {
  const local = localServerUrl(config.host, config.port, { forHumans: true });
  const lines = [
    '',
    `  Pocket Protest is running (${role === 'all' ? 'web and workers' : 'web'}, NODE_ENV=${config.nodeEnv})`,
    '',
    `  Console        ${local}/console`,
    `  API docs       ${local}/docs`,
    `  Health         ${local}/readyz`,
    ...(config.publicBaseUrl !== local ? [`  Public URL     ${config.publicBaseUrl} (PUBLIC_BASE_URL)`] : []),
    // A simulated text is a real supporter's record: suggested only away from production.
    ...(config.nodeEnv === 'production'
      ? []
      : [
          '',
          '  Try it from another terminal:',
          '    npm run -s cli -- demo',
          '    npm run -s cli -- sms --from +447700900123 "MAGAMED Jane Smith"',
          '    npm run -s cli -- help',
        ]),
  ];
  if (config.dryRun.length > 0) {
    lines.push('', '  Dry run (nothing below leaves this machine):');
    for (const item of config.dryRun) lines.push(`    - ${item}`);
  }
  if (redisProblem) lines.push('', `  Warning: ${redisProblem}`);
  const letterhead = letterheadWarning(config.letterhead, config.orgName);
  if (letterhead) lines.push('', `  Warning: ${letterhead}`);
  lines.push('');
  return `${lines.join('\n')}\n`;
}

/** Entry point: `all` (default) runs web and workers in one process; `web` or `worker` run one part. */
async function main(role: Role): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config.logLevel, undefined, { pretty: config.nodeEnv === 'development' });
  if (config.dryRun.length > 0)
    logger.warn({ dryRun: config.dryRun }, `dry run: ${config.dryRun.join('; ')}`);
  await migrateDatabase(config.databaseUrl, (message) => logger.info(`migration: ${message}`)).catch(
    (error: unknown) => {
      throw new StartupError(
        `${unreachable('Postgres', 'DATABASE_URL', config.databaseUrl, error)}\n` +
          'Start Postgres, or set DATABASE_URL (in .env or the environment) to one that runs; ' +
          '`npm run doctor` checks it.',
      );
    },
  );
  // Redis down is not fatal (texts are still recorded and answered; queued work waits), but it is said.
  const redisProblem = await checkRedis(
    createRedis(config.redis, { lazy: true, failFast: true, connectTimeoutMs: 2_000 }),
    2_000,
  ).then(
    () => null,
    (error: unknown) =>
      `Cannot reach Redis at ${describeRedis(config.redis)}: ${reason(error)}; texts are still answered, ` +
      `queued work waits for it`,
  );
  if (redisProblem) logger.warn({ redis: describeRedis(config.redis) }, redisProblem);
  // A worker holds a connection per text in flight to Twilio: it needs more than a web process.
  const database = createDatabase(config.databaseUrl, role === 'web' ? {} : { max: WORKER_POOL_SIZE });
  const redis = createRedis(config.redis);

  const services = createServices({ config, database, redis, logger });

  let app: FastifyInstance | null = null;
  let workers: RunningWorkers | null = null;
  let metricsServer: MetricsServer | null = null;
  if (role !== 'web') workers = await startWorkers({ services });
  if (role !== 'worker') {
    app = await buildApp({ services });
    await app.listen({ port: config.port, host: config.host }).catch((error: unknown) => {
      throw new StartupError(
        `Cannot listen on ${config.host}:${config.port} (HOST, PORT): ${reason(error)}. ` +
          'Is another server running there? Set PORT to another port.',
      );
    });
    // On stderr, so that stdout stays one JSON log line per entry in production.
    process.stderr.write(banner(config, role, redisProblem));
  } else {
    metricsServer = await serveMetrics(services.metrics.registry, config.host, config.metricsPort).catch(
      (error: unknown) => {
        throw new StartupError(
          `Cannot listen on ${config.host}:${config.metricsPort} (HOST, METRICS_PORT) for /metrics: ` +
            `${reason(error)}. ` +
            'Is another worker running there? Give each worker process its own METRICS_PORT.',
        );
      },
    );
    process.stderr.write(
      `\n  Pocket Protest workers are running (NODE_ENV=${config.nodeEnv}); ` +
        `metrics on port ${metricsServer.port}.\n\n`,
    );
  }

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // Stop taking requests first, then let running jobs finish, then drop the connections.
    await app?.close();
    await metricsServer?.close();
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
  const oneLine = error instanceof ConfigError || error instanceof StartupError;
  console.error(oneLine ? error.message : error);
  process.exit(1);
});
