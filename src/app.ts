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
import { createInboundService } from './sms/inbound.js';
import { smsWebhookRoutes } from './sms/routes.js';
import { createPhoneCrypto } from './supporters/phone.js';

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
  const clock = deps.clock ?? (() => new Date());
  const { config } = deps;
  const phoneCrypto = createPhoneCrypto(config.phone);
  const inbound = createInboundService({ database: deps.database, phoneCrypto, config, metrics, clock });

  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: true,
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  // Security headers are for browsers; webhooks answer Twilio and fax providers only.
  await app.register(helmet, { global: false });
  await app.register(formbody);
  await app.register(healthRoutes({ pool: deps.database.pool, redis: deps.redis, metrics }));
  await app.register(smsWebhookRoutes({ config, inbound, metrics }));

  return app;
}
