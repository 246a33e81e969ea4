import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { broadcastRoutes } from './broadcasts/routes.js';
import { smsStatusRoutes } from './broadcasts/status-routes.js';
import { campaignRoutes } from './campaigns/routes.js';
import type { Config } from './config.js';
import { consoleRoutes } from './console/plugin.js';
import { handleError, handleNotFound } from './errors.js';
import { faxRoutes } from './fax/routes.js';
import { faxWebhookRoutes } from './fax/webhooks.js';
import { memberRoutes } from './members/routes.js';
import { healthRoutes } from './ops/health.js';
import { publicRoutes } from './public/routes.js';
import { duplicateFailFast } from './queue/connection.js';
import type { Services } from './services.js';
import { smsWebhookRoutes } from './sms/routes.js';
import { staffAuth } from './staff/auth.js';
import { createLimits } from './staff/limits.js';
import { staffRoutes } from './staff/routes.js';
import { refuseUnsafeText } from './text.js';

/**
 * Routes that answer machines and browsers over and over (health checks, scrapes, the console's
 * assets, the favicon): their requests are logged only when they fail (warn), not at info, so that the
 * log is what happened.
 */
const QUIET_ROUTES = /^\/(healthz|readyz|metrics|favicon\.ico)$|^\/console\/assets\//;

/**
 * TRUST_PROXY as Fastify takes it. A hop count becomes a function trusting that many hops nearest the
 * app (as Express reads a number): Fastify 5 reads a bare number as "trust nothing".
 */
function proxyTrust(trust: Config['trustProxy']) {
  return typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;
}

export interface AppDeps {
  services: Services;
}

/** Builds the web app over the services; it never listens by itself, so tests use `inject`. */
export async function buildApp({ services }: AppDeps): Promise<FastifyInstance> {
  const { config, database, redis, metrics, clock, logger } = services;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: proxyTrust(config.trustProxy),
    // Every number a request may carry has bounds that fit its column, and the bounds refuse Infinity
    // and 1e400. Ajv 8's strictNumbers (its default) is turned off because, with coerceTypes, it skips
    // the bounds of a query integer that is not finite: `?limit=Infinity` reached Postgres.
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: 'array',
        allErrors: false,
        strictNumbers: false,
      },
    },
  });
  app.decorate('services', services);
  // Before any route is added, so that it sees every one, those of plugins (@fastify/static) too.
  app.addHook('onRoute', (route) => {
    if (QUIET_ROUTES.test(route.url) && !route.logLevel) route.logLevel = 'warn';
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({
      method: request.method,
      // The pattern, never the raw URL: a path can name a campaign, a query a person searched for.
      route: request.routeOptions.url ?? 'unmatched',
      code: String(reply.statusCode),
    });
  });
  const limits = createLimits(duplicateFailFast(redis, 250), config.queuePrefix);
  app.addHook('onReady', () => limits.connected(500));
  app.addHook('onClose', async () => limits.close());
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  // The https-only headers (upgrade every request to https, HSTS) only where the app is served over
  // https: on a LAN over plain http they would send the browser to a port nothing answers, so the style
  // sheet, the script and every form's post would fail without a word. Forms post to this origin only
  // (form-action 'self'), whichever scheme it has.
  const https = config.publicBaseUrl.startsWith('https:');
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        upgradeInsecureRequests: https ? [] : null,
      },
    },
    strictTransportSecurity: https,
  });
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
    // The API only: the console's pages and forms, Bull Board and the webhooks are not its interface.
    transform: ({ schema, url }) => ({
      schema: url.startsWith('/api/v1/') ? schema : { ...schema, hide: true },
      url,
    }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes({ pool: database.pool, redis, metrics, spool: services.spool }));
  // This process's spool files: replayed at start, and whenever Postgres is back while texts wait.
  let replaying: { stop(): Promise<void> } | null = null;
  app.addHook('onReady', async () => {
    replaying = services.spool.startReplaying();
  });
  app.addHook('onClose', async () => replaying?.stop());
  await app.register(smsWebhookRoutes);
  await app.register(smsStatusRoutes);
  await app.register(faxWebhookRoutes);

  await app.register(
    async (api) => {
      api.addHook('preValidation', refuseUnsafeText);
      await api.register(staffAuth, {
        db: database.db,
        clock,
        limits,
        requestsPerMinute: config.api.requestsPerMinute,
        failuresPerWindow: config.api.failedTokensPer15Minutes,
      });
      await api.register(staffRoutes);
      await api.register(campaignRoutes);
      await api.register(faxRoutes);
      await api.register(memberRoutes);
      await api.register(broadcastRoutes);
    },
    { prefix: '/api/v1' },
  );
  await app.register(consoleRoutes, { prefix: '/console', limits });
  await app.register(publicRoutes);
  // A browser pointed at the server's address lands on the console (which asks to sign in).
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console'));

  return app;
}
