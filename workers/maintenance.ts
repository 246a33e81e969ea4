import type { Logger } from 'pino';
import type { CampaignsService } from '../src/campaigns/service.js';
import type { BatchesService } from '../src/fax/batches.js';
import type { NamesOnFileService } from '../src/members/names-on-file.js';
import type { RetentionService } from '../src/members/retention.js';
import type { StuckReport } from '../src/ops/stuck.js';
import type { JobName } from '../src/queue/queues.js';

export interface PeriodicJob {
  everyMs: number;
  /** Also run once when a worker process starts, not only after its first interval. */
  atStart?: boolean;
  run(): Promise<void>;
}

export type MaintenanceJobs = { [J in JobName<'maintenance'>]?: PeriodicJob };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Whether a source's account of its drive (counts by what it did) says it moved anything. */
const movedAnything = (done: unknown) =>
  typeof done === 'object' &&
  done !== null &&
  Object.values(done).some((value) => typeof value === 'number' && value > 0);

/** The periodic jobs of the maintenance queue: adding one is adding its entry here. */
export function maintenanceJobs({
  batches,
  campaigns,
  retention,
  namesOnFile,
  stuck,
  logger,
}: {
  batches: BatchesService;
  campaigns: CampaignsService;
  retention: RetentionService;
  namesOnFile: NamesOnFileService;
  stuck: StuckReport;
  logger: Logger;
}): MaintenanceJobs {
  return {
    // A campaign past closesAt already answers as closed; this makes it so, and faxes its last names.
    'close-expired-campaigns': {
      everyMs: MINUTE,
      async run() {
        const closed = await campaigns.closeExpired();
        if (closed > 0) logger.info({ closed }, 'closed campaigns past their closing time');
      },
    },
    retention: {
      everyMs: HOUR,
      async run() {
        const cleared = await retention.run();
        if (cleared.campaigns > 0)
          logger.info(cleared, 'retention: message bodies and dialogue state deleted');
      },
    },
    // At start, so that names stored under other rules (an upgrade, a changed list) soon sign in one
    // statement again; then hourly, for any a race left unstamped.
    'recheck-names': {
      everyMs: HOUR,
      atStart: true,
      async run() {
        const rechecked = await namesOnFile.recheck();
        if (rechecked.checked > 0)
          logger.info(rechecked, 'names on file checked under the current hold rules');
      },
    },
    // Redis only carries work: what it lost, or what no job will do, is found here and driven on.
    watchdog: {
      everyMs: MINUTE,
      async run() {
        const driven = await stuck.driveAll();
        if (Object.values(driven).some(movedAnything)) logger.warn(driven, 'stuck work driven on');
      },
    },
    'scheduled-batches': {
      everyMs: MINUTE,
      async run() {
        const { created, refused } = await batches.runScheduled();
        for (const batch of created) logger.info(batch, 'scheduled fax batch made');
        for (const refusal of refused) logger.warn(refusal, 'scheduled fax batch refused');
      },
    },
  };
}
