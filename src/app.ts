import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { broadcastRoutes } from './broadcasts/routes.js';
import { campaignRoutes } from './campaigns/routes.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { handleError, handleNotFound } from './errors.js';
import { faxRoutes } from './fax/routes.js';
import { faxWebhookRoutes } from './fax/webhooks.js';
import { healthRoutes } from './ops/health.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { createInboundService } from './sms/inbound.js';
import { smsWebhookRoutes } from './sms/routes.js';
import { smsStatusRoutes } from './sms/status-routes.js';
import { staffAuth } from './staff/auth.js';
import { consoleRoutes } from './staff/console/plugin.js';
import { staffRoutes } from './staff/routes.js';
import { createPhoneCrypto, type PhoneCrypto } from './supporters/phone.js';
import { supporterRoutes } from './supporters/routes.js';

export interface AppDeps {
  config: Config;
  database: Database;
  redis: Redis;
  logger: Logger;
  metrics?: Metrics;
  clock?: () => Date;
}

/** What every route module gets: the app's dependencies, resolved once. */
export interface RouteDeps {
  config: Config;
  database: Database;
  redis: Redis;
  metrics: Metrics;
  clock: () => Date;
  phoneCrypto: PhoneCrypto;
}

/** Builds the web app from its dependencies; it never listens by itself, so tests use `inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database, redis } = deps;
  const routeDeps: RouteDeps = {
    config,
    database,
    redis,
    metrics: deps.metrics ?? createMetrics(),
    clock: deps.clock ?? (() => new Date()),
    phoneCrypto: createPhoneCrypto(config.phone),
  };
  const { metrics, clock, phoneCrypto } = routeDeps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  await app.register(helmet);
  await app.register(formbody);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Pocket Protest staff API',
        description: 'Urgent actions by SMS: campaigns, signatures, moderation, faxes and updates.',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes({ pool: database.pool, redis, metrics }));
  const inbound = createInboundService({ database, phoneCrypto, config, metrics, clock });
  await app.register(smsWebhookRoutes({ config, inbound, metrics }));
  await app.register(smsStatusRoutes(routeDeps));
  await app.register(faxWebhookRoutes(routeDeps));

  await app.register(
    async (api) => {
      await api.register(staffAuth, {
        db: database.db,
        clock,
        requestsPerMinute: config.api.requestsPerMinute,
        failuresPerWindow: config.api.failedTokensPer15Minutes,
      });
      await api.register(staffRoutes(routeDeps));
      await api.register(campaignRoutes(routeDeps));
      await api.register(faxRoutes(routeDeps));
      await api.register(supporterRoutes(routeDeps));
      await api.register(broadcastRoutes(routeDeps));
    },
    { prefix: '/api/v1' },
  );
  await app.register(consoleRoutes(routeDeps), { prefix: '/console' });

  return app;
}
