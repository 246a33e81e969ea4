import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { handleError, handleNotFound } from './errors.js';
import { healthRoutes } from './ops/health.js';
import { createMetrics, type Metrics } from './ops/metrics.js';

export interface AppDeps {
  config: Config;
  database: Database;
  redis: Redis;
  logger: Logger;
  metrics?: Metrics;
  clock?: () => Date;
}

/** Builds the web app from its dependencies; it never listens by itself, so tests use `inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? createMetrics();
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: true,
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  await app.register(helmet, { global: true });
  await app.register(formbody);
  await app.register(healthRoutes({ pool: deps.database.pool, redis: deps.redis, metrics }));

  return app;
}
