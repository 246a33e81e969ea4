import { DelayedError, type Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { isDatabaseUnreachable } from '../src/db/unreachable.js';
import { queueGauges } from '../src/queue/gauges.js';
import { closeQueues, createQueues, type QueueName, type Queues } from '../src/queue/queues.js';
import { createRateLimiter } from '../src/queue/rate.js';
import { createOutboxRelay, type OutboxRelay } from '../src/queue/relay.js';
import { SETTLE_SECONDS } from '../src/queue/watchdog.js';
import type { Services } from '../src/services.js';
import { faxDeliverProcessors, faxRenderProcessors } from './fax.js';
import { maintenanceJobs } from './maintenance.js';
import { memberImportProcessors } from './members.js';
import { broadcastProcessors, smsSendProcessors, wakeSleepingTexts } from './sms.js';

export interface WorkerDeps {
  services: Services;
  /** Redis key prefix of the queues, when not config.queuePrefix: tests give each file its own. */
  queuePrefix?: string;
  /** How soon BullMQ notices a job whose worker died; tests that kill workers shorten it. */
  stalled?: StalledSettings;
}

export interface StalledSettings {
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

/**
 * Production settings: a job's lock lasts 10 s (renewed every 5 s while its worker lives) and every
 * worker looks for stalled jobs every 5 s, so the work of a worker that crashed resumes within about
 * 15 s (BullMQ's defaults, 30 s and 30 s, left it for up to a minute). A job may stall three times
 * before it is failed: every processor is idempotent. Rendering a fax can keep the event loop busy
 * for seconds, so that queue keeps a longer lock (a second renderer of the same batch would only
 * waste work).
 */
export const PRODUCTION_STALLED: StalledSettings = {
  lockDurationMs: 10_000,
  stalledIntervalMs: 5_000,
  maxStalledCount: 3,
};
const RENDER_STALLED: StalledSettings = { ...PRODUCTION_STALLED, lockDurationMs: 60_000 };

/**
 * Database connections a worker process opens: the texts in flight (each holds one until Twilio
 * answers), the fax and broadcast jobs, the relay, the watchdog and the spool drainer.
 */
export const WORKER_POOL_SIZE = 40;

/** How often the workers look for texts spooled in Redis while Postgres was unreachable. */
const SPOOL_DRAIN_EVERY_MS = 1_000;

export interface RunningWorkers {
  queues: Queues;
  relay: OutboxRelay;
  close(): Promise<void>;
}

const WARN_EVERY_MS = 60_000;
/** How soon a failed registration of the periodic jobs is tried again. */
const SCHEDULE_RETRY_MS = 5_000;
/** How long a shutdown waits for running jobs to finish. */
const CLOSE_GRACE_MS = 20_000;

/** A Redis outage makes every connection complain every few seconds: one line a minute is enough. */
function throttledWarning(logger: Logger, message: string) {
  let last = 0;
  return (error: Error) => {
    const now = Date.now();
    if (now - last < WARN_EVERY_MS) return;
    last = now;
    logger.warn({ reason: error.message }, message);
  };
}

type Handler = (data: never, job: Job) => Promise<void>;

/** The longest a job waits between two tries while Postgres is unreachable. */
const OUTAGE_WAIT_MAX_MS = 10_000;

/**
 * Postgres unreachable (down, restarting, failing over, read-only for a while) is an outage, not the
 * job's fault: the job waits in the delayed set without spending an attempt, so no outage, however
 * long, fails a job for good. The wait grows with the outage (a quarter of its length so far, 1 s to
 * 10 s, jittered), so a long one is not hammered and work resumes within seconds once Postgres answers.
 */
function outageWaits() {
  let since: number | null = null;
  return {
    succeeded() {
      since = null;
    },
    async wait(job: Job): Promise<never> {
      const now = Date.now();
      since ??= now;
      const ms = Math.min(OUTAGE_WAIT_MAX_MS, Math.max(1_000, (now - since) / 4));
      await job.moveToDelayed(now + ms * (0.75 + Math.random() / 2), job.token);
      throw new DelayedError();
    },
  };
}

function stalledOptions(settings: StalledSettings) {
  return {
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: settings.maxStalledCount,
  };
}

/**
 * Starts this process's share of the work: the outbox relay, and a BullMQ worker per queue. Nothing here
 * waits for Redis, so a process that runs the web app too answers texts while Redis is down.
 */
export async function startWorkers(deps: WorkerDeps): Promise<RunningWorkers> {
  const { services } = deps;
  const { config, database, redis, logger, batches, faxSender, sending } = services;
  const prefix = deps.queuePrefix ?? config.queuePrefix;
  const queues = createQueues(redis, { prefix, onError: throttledWarning(logger, 'queue lost Redis') });
  // Where the work waits: pp_queue_waiting and pp_queue_oldest_waiting_seconds, read at each scrape.
  const gauges = queueGauges(queues, redis);
  services.metrics.observeQueues(gauges.waiting);
  services.metrics.observeQueueAges(gauges.oldest);
  const relay = createOutboxRelay({
    database,
    queues,
    redis,
    logger,
    mismatches: services.metrics.outboxMismatches,
  });
  const periodic = maintenanceJobs({
    batches,
    campaigns: services.campaigns,
    retention: services.retention,
    namesOnFile: services.namesOnFile,
    stuck: services.stuckReportFor(prefix),
    logger,
  });
  const processors: Record<QueueName, Record<string, Handler | undefined>> = {
    broadcasts: broadcastProcessors(sending, queues),
    'sms-send': smsSendProcessors(
      sending,
      createRateLimiter(redis, `${prefix}:sms-send:rate`, config.sms.maxPerSecond, 1_000),
    ),
    'fax-render': faxRenderProcessors({ batches, faxSender, logger }),
    'fax-deliver': faxDeliverProcessors({ batches, faxSender, logger }),
    'member-imports': memberImportProcessors(services.importJobs),
    maintenance: Object.fromEntries(Object.entries(periodic).map(([name, job]) => [name, () => job.run()])),
  };
  const concurrency: Record<QueueName, number> = {
    'fax-render': 1,
    'fax-deliver': 5,
    broadcasts: 2,
    // Enough texts in flight to keep up with the rate while each waits on Twilio (100/s at 250 ms
    // each); each holds a database connection until Twilio answers (the STOP lock), so a worker
    // process's pool is sized for them (WORKER_POOL_SIZE).
    'sms-send': 25,
    // One import at a time anyway; each holds two connections while it runs.
    'member-imports': 1,
    maintenance: 1,
  };

  const outage = outageWaits();
  const workers = (Object.keys(processors) as QueueName[]).map((queue) => {
    const worker = new Worker(
      queue,
      async (job) => {
        const handler = processors[queue][job.name];
        if (!handler) throw new Error(`no processor for ${queue} job ${job.name}`);
        try {
          await handler(job.data as never, job);
          outage.succeeded();
        } catch (error) {
          // Periodic jobs are tried again at their next run.
          if (queue === 'maintenance' || !isDatabaseUnreachable(error)) throw error;
          await outage.wait(job);
        }
      },
      {
        connection: redis,
        prefix,
        concurrency: concurrency[queue],
        // SMS_MAX_PER_SECOND is kept by the sms-send processor itself (src/queue/rate.ts), global across
        // worker processes, so that skipped texts take no token.
        ...stalledOptions(deps.stalled ?? (queue === 'fax-render' ? RENDER_STALLED : PRODUCTION_STALLED)),
      },
    );
    worker.on('error', throttledWarning(logger, 'queue worker lost Redis'));
    worker.on('failed', (job, error) => {
      // The job's name and id only: its data may name a fax number or a campaign's texts.
      logger.warn(
        { queue, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, reason: error.message },
        'job failed',
      );
    });
    return worker;
  });

  // Redis may come back empty (restarted without its append-only file), and the schedules with it: they
  // are registered again each time the connection is ready. Upserting is idempotent; a failure is
  // logged and tried again until it succeeds.
  let closing = false;
  let scheduleRetry: NodeJS.Timeout | undefined;
  const scheduleFailed = throttledWarning(logger, 'could not schedule the periodic jobs; trying again');
  async function ensureSchedules(): Promise<void> {
    clearTimeout(scheduleRetry);
    try {
      await Promise.all(
        Object.entries(periodic).map(([name, job]) =>
          queues.maintenance.upsertJobScheduler(
            name,
            { every: job.everyMs },
            // The next run is the retry; a few runs are kept to look at.
            {
              name,
              data: {},
              opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
            },
          ),
        ),
      );
      logger.info({ jobs: Object.keys(periodic) }, 'periodic jobs scheduled');
    } catch (error) {
      scheduleFailed(error as Error);
      if (!closing) scheduleRetry = setTimeout(() => void ensureSchedules(), SCHEDULE_RETRY_MS);
    }
  }
  // The watchdog's look also runs at once, without waiting for its schedule: Redis is back, and may
  // have come back without the jobs it held.
  let watching: Promise<void> = Promise.resolve();
  const lookForStuckWork = () =>
    periodic.watchdog
      ?.run()
      .catch((error: Error) => logger.warn({ reason: error.message }, 'watchdog failed'));
  // A failover to a replica loses the jobs the old master took last; their rows are too recent for the
  // first look, so the watchdog looks again once they have settled, rather than at its next minute.
  let lookAgain: NodeJS.Timeout | undefined;
  const onReady = () => {
    void ensureSchedules();
    watching = watching.then(lookForStuckWork);
    clearTimeout(lookAgain);
    lookAgain = setTimeout(
      () => {
        if (!closing) watching = watching.then(lookForStuckWork);
      },
      (SETTLE_SECONDS + 5) * 1_000,
    );
    lookAgain.unref();
  };
  redis.on('ready', onReady);
  // Before its first `ready` the connection would only queue the commands: the event runs them then.
  if (redis.status === 'ready') onReady();
  relay.start();
  // A broadcast waiting for quiet hours to end may be free to go now (SMS_QUIET_HOURS switched off).
  const wakeRun = sending
    .anyWaiting()
    .then((waiting) => (waiting ? wakeSleepingTexts(queues) : undefined))
    .catch((error: Error) => logger.warn({ reason: error.message }, 'could not wake waiting broadcasts'));
  const startRuns = Promise.all(
    Object.entries(periodic).map(([name, job]) =>
      job.atStart
        ? job
            .run()
            .catch((error: Error) => logger.warn({ job: name, reason: error.message }, 'periodic job failed'))
        : undefined,
    ),
  );
  // Texts spooled in Redis while Postgres was unreachable: drained, one drainer at a time, oldest first.
  let draining: Promise<unknown> | null = null;
  const drainFailed = throttledWarning(logger, 'could not replay the spooled texts; trying again');
  const drainTimer = setInterval(() => {
    draining ??= services.spool
      .drainStream()
      .catch(drainFailed)
      .finally(() => {
        draining = null;
      });
  }, SPOOL_DRAIN_EVERY_MS);
  drainTimer.unref();
  logger.info({ queues: Object.keys(processors), prefix }, 'workers started');

  return {
    queues,
    relay,
    async close() {
      closing = true;
      clearTimeout(scheduleRetry);
      clearTimeout(lookAgain);
      clearInterval(drainTimer);
      // Without Redis its commands would wait for it; the entry it was on stays in the stream.
      if (redis.status === 'ready') await Promise.all([draining, wakeRun]);
      redis.off('ready', onReady);
      await watching;
      await startRuns;
      await relay.stop();
      // Running jobs may finish first while Redis is up; without it they could not be marked done
      // anyway, and a graceful close would wait for Redis forever.
      const force = redis.status !== 'ready';
      const closed = Promise.all(workers.map((worker) => worker.close(force))).then(() => true);
      // A job stuck on a slow provider must not hold a shutdown forever: BullMQ hands its lock back
      // to another worker once it stalls, and every processor is idempotent.
      const grace = new Promise<false>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS, false).unref());
      if (!(await Promise.race([closed, grace]))) logger.warn('jobs still running after the grace period');
      await closeQueues(queues);
    },
  };
}
