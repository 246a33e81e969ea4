import type { Logger } from 'pino';
import { broadcastGauge } from './broadcasts/gauges.js';
import { clearRepliesTo, insertReplyOnce } from './broadcasts/messages.repository.js';
import { createBroadcastSendingService } from './broadcasts/sending.js';
import { createBroadcastsService } from './broadcasts/service.js';
import { createStuckTextsService } from './broadcasts/stuck.js';
import { campaignGauges } from './campaigns/gauges.js';
import { createCampaignsService } from './campaigns/service.js';
import { createSignaturesService } from './campaigns/signatures.js';
import { clearSignatureNamesOf, hideSignaturesOf } from './campaigns/signatures.repository.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { createBatchesService, faxBatchesOfCampaigns } from './fax/batches.js';
import { createDeliveriesService } from './fax/deliveries.js';
import { faxDeliveryGauge } from './fax/gauges.js';
import { createFaxProvider } from './fax/providers/index.js';
import { createReceiptsService } from './fax/receipts.js';
import { createFaxSenderService } from './fax/sender.js';
import { countByKind } from './fax/stuck.js';
import type { DeliveryTiming } from './fax/timing.js';
import { createMailTransport } from './mail/transport.js';
import { createImportJobsService } from './members/imports.js';
import { createNamesOnFileService } from './members/names-on-file.js';
import { createRetentionService } from './members/retention.js';
import { createMembersService } from './members/service.js';
import { dependencySamples } from './ops/health.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { createStuckReport, type StuckSource } from './ops/stuck.js';
import { createPublicService } from './public/service.js';
import type { RedisClient } from './queue/connection.js';
import { createOutboxWatchdog } from './queue/watchdog.js';
import { createInboundService } from './sms/inbound.js';
import { clearTextsOf } from './sms/messages.repository.js';
import { createSmsSender } from './sms/sender.js';
import { createSpoolService } from './sms/spool.js';
import { createStaffService } from './staff/service.js';
import { createPhoneCrypto } from './supporters/phone.js';

export interface ServiceDeps {
  config: Config;
  database: Database;
  redis: RedisClient;
  logger: Logger;
  metrics?: Metrics;
  clock?: () => Date;
  /** Shorter fax retry, polling and stuck waits, for tests. */
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
  const faxTiming = deps.faxTiming ? { timing: deps.faxTiming } : {};
  const faxSender = createFaxSenderService({
    db,
    clock,
    config,
    provider: createFaxProvider(config, clock, logger),
    mail: createMailTransport(config),
    ...faxTiming,
  });
  const deliveries = createDeliveriesService({ db, clock, config, ...faxTiming });
  const fax: StuckSource = {
    // The log wants counts of what moved, not the items.
    driveStuck: async () => countByKind(await faxSender.driveStuck()),
    stuckCounts: async () => (await deliveries.stuck()).counts,
    stuckItems: async () => (await deliveries.stuck()).items,
  };
  /** What is stuck, and how to drive it on, through the queues under `prefix`: the outbox first. */
  const stuckReportFor = (prefix: string) => {
    const outbox = createOutboxWatchdog({ db, redis, prefix });
    return createStuckReport({ outbox, texts: createStuckTextsService({ db, outbox }), fax }, { logger });
  };
  const stuck = stuckReportFor(config.queuePrefix);
  const receipts = createReceiptsService({ db, config });
  metrics.observeStuck(() => stuck.counts());
  const inbound = createInboundService({ database, phoneCrypto, config, metrics, clock });
  const spool = createSpoolService({
    config,
    database,
    redis,
    phoneCrypto,
    metrics,
    logger,
    clock,
    inbound,
    insertReplyOnce,
  });
  metrics.observeSpool(() => spool.depth());
  // What every process, web or worker, reads from Postgres for the operators' alerts and dashboard.
  metrics.observeReadiness(() => dependencySamples({ pool: database.pool, redis }));
  metrics.observeFaxDeliveries(faxDeliveryGauge(db));
  metrics.observeBroadcasts(broadcastGauge(db));
  const campaignsNow = campaignGauges(db);
  metrics.observeCampaignDeadlines(campaignsNow.closesIn);
  metrics.observeNamesWaiting(campaignsNow.namesWaiting);
  metrics.smsMaxPerSecond.set(config.sms.maxPerSecond);
  return {
    config,
    database,
    redis,
    logger,
    clock,
    metrics,
    phoneCrypto,
    staff: createStaffService({ db, clock }),
    members: createMembersService({
      db,
      pool: database.pool,
      clock,
      phoneCrypto,
      keptElsewhere: { hideSignaturesOf, clearSignatureNamesOf, clearTextsOf, clearRepliesTo },
    }),
    /** Members imports run by a worker, with their progress. */
    importJobs: createImportJobsService({ db, pool: database.pool, clock, phoneKeys: config.phone }),
    retention: createRetentionService({ db, clock, retentionDays: config.retentionDays }),
    namesOnFile: createNamesOnFileService({ db }),
    inbound,
    /** Inbound texts kept while Postgres is unreachable; web processes replay files, workers the stream. */
    spool,
    campaigns: createCampaignsService({ db, clock, faxBatches: faxBatchesOfCampaigns }),
    signatures: createSignaturesService({ db, pool: database.pool, clock }),
    batches: createBatchesService({ db, clock, config }),
    faxSender,
    deliveries,
    receipts,
    publicActions: createPublicService({ db, config, clock }),
    broadcasts: createBroadcastsService({ db, clock, config, receipts }),
    sending: createBroadcastSendingService({
      db,
      clock,
      config,
      sender: createSmsSender(config, logger),
      phoneCrypto,
      logger,
      metrics,
    }),
    /** Read by the gauge and the console; the workers build their own for the prefix they run under. */
    stuck,
    stuckReportFor,
  };
}

export type Services = ReturnType<typeof createServices>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Built once by `createServices`; routes and console pages only read it. */
    services: Services;
  }
}
