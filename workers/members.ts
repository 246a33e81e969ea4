import type { Job } from 'bullmq';
import { type ImportJobsService, importFailure } from '../src/members/imports.js';
import type { JobName, JobPayload } from '../src/queue/queues.js';

type Processors = {
  [J in JobName<'member-imports'>]: (payload: JobPayload<'member-imports', J>, job: Job) => Promise<void>;
};

/** Postgres errors worth another attempt: connection, resources, shutdown, deadlock or serialisation. */
function transient(error: unknown): boolean {
  const { code } = (error as { cause?: { code?: string } }).cause ?? (error as { code?: string });
  return typeof code !== 'string' || /^(08|40|53|57)/.test(code) || !/^[0-9A-Z]{5}$/.test(code);
}

/**
 * A run that throws on a passing problem (Postgres away) is tried again, resuming from its last
 * committed chunk; one that the data makes fail would fail again, so it fails the import at once, as
 * does the last attempt, with a reason staff can read, and the next import is not blocked.
 */
export function memberImportProcessors(imports: ImportJobsService): Processors {
  return {
    async import({ importId }, job) {
      try {
        await imports.run(importId);
      } catch (error) {
        const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (!lastAttempt && transient(error)) throw error;
        await imports.fail(importId, importFailure(error));
      }
    },
  };
}
