import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createBroadcastSending } from './broadcasts/sending.js';
import { createBroadcastsService } from './broadcasts/service.js';
import { createCampaignsService } from './campaigns/service.js';
import { createSignaturesService } from './campaigns/signatures.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { createBatchesService } from './fax/batches.js';
import { createDeliveriesService } from './fax/deliveries.js';
import { createFaxProvider } from './fax/providers/index.js';
import { createFaxSender, type DeliveryTiming } from './fax/sender.js';
import { createRetention } from './members/retention.js';
import { createMembersService } from './members/service.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { createInboundService } from './sms/inbound.js';
import { createSmsSender } from './sms/sender.js';
import { createStaffService } from './staff/service.js';
import { createPhoneCrypto } from './supporters/phone.js';

export interface ServiceDeps {
  config: Config;
  database: Database;
  redis: Redis;
  logger: Logger;
  metrics?: Metrics;
  clock?: () => Date;
  /** Shorter fax retry and polling waits, for tests. */
  faxTiming?: Partial<DeliveryTiming>;
}

/**
 * The composition root: every service built once, from explicit dependencies, for the web app, the
 * workers and the command line alike. Nothing else constructs a service.
 */
export function createServices(deps: ServiceDeps) {
  const { config, database, redis, logger } = deps;
  const { db } = database;
  const clock = deps.clock ?? (() => new Date());
  const metrics = deps.metrics ?? createMetrics();
  const phoneCrypto = createPhoneCrypto(config.phone);
  return {
    config,
    database,
    redis,
    logger,
    clock,
    metrics,
    phoneCrypto,
    staff: createStaffService({ db, clock }),
    members: createMembersService({ db, pool: database.pool, clock, phoneCrypto }),
    retention: createRetention({ db, clock, retentionDays: config.retentionDays }),
    inbound: createInboundService({ database, phoneCrypto, config, metrics, clock }),
    campaigns: createCampaignsService({ db, clock }),
    signatures: createSignaturesService({ db, clock }),
    batches: createBatchesService({ db, clock, config }),
    faxSender: createFaxSender({
      db,
      clock,
      config,
      provider: createFaxProvider(config, clock),
      ...(deps.faxTiming ? { timing: deps.faxTiming } : {}),
    }),
    deliveries: createDeliveriesService({ db, clock }),
    broadcasts: createBroadcastsService({ db, clock, config }),
    sending: createBroadcastSending({
      db,
      clock,
      config,
      sender: createSmsSender(config, logger),
      phoneCrypto,
      logger,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Built once by `createServices`; routes and console pages only read it. */
    services: Services;
  }
}
