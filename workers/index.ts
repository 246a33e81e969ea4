import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import type { Database } from '../src/db/client.js';

export interface WorkerDeps {
  config: Config;
  database: Database;
  redis: Redis;
  logger: Logger;
  clock?: () => Date;
}

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts the BullMQ processors of this process. */
export async function startWorkers(deps: WorkerDeps): Promise<RunningWorkers> {
  const workers: Array<{ close(): Promise<void> }> = [];
  deps.logger.info({ workers: workers.length }, 'workers started');
  return {
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
