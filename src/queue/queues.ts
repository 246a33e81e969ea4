import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';

/**
 * The one map of queues and the jobs each carries. Queue names live under the prefix QUEUE_PREFIX
 * (`config.queuePrefix`, `{pp}` by default), a Redis Cluster hash tag that keeps each queue's keys in
 * one slot.
 */
export interface QueueJobs {
  /** Building batches and rendering their documents. */
  'fax-render': {
    /** A campaign closed: one last batch of whatever waits. */
    'close-batch': { campaignId: number };
    'render-batch': { batchId: number };
  };
  /** Submitting rendered parts to the fax provider or the mail server, and following them. */
  'fax-deliver': {
    'send-delivery': { deliveryId: number };
    /** Asks the provider how a submitted part is going, while no callback has settled it. */
    'poll-delivery': { deliveryId: number };
    /** A provider's callback said something happened to a part: read it back once. */
    'check-delivery': { deliveryId: number };
    /** The current document to a staff fax machine: no batch, no signature claimed. */
    'test-fax': { campaignId: number; targetId: number; faxNumber: string };
    /** A target finally did not receive a part by any channel: staff are e-mailed. */
    'notify-failure': { deliveryId: number };
  };
  /** Writing a broadcast's messages, a batch of recipients at a time. */
  broadcasts: {
    'fan-out': { broadcastId: number };
    /** Staff sent a waiting broadcast now: its texts asleep until quiet hours end are woken. */
    release: { broadcastId: number };
  };
  /** One outbound text each, at the global rate SMS_MAX_PER_SECOND. */
  'sms-send': {
    send: { messageId: number };
  };
  /** Checking, encrypting and merging an uploaded members file (one import runs at a time). */
  'member-imports': {
    import: { importId: number };
  };
  /** Periodic housekeeping. */
  maintenance: {
    'close-expired-campaigns': Record<string, never>;
    /** Batches of campaigns that send daily or past a threshold of waiting names. */
    'scheduled-batches': Record<string, never>;
    /** Message bodies and dialogue state of campaigns closed and faxed RETENTION_DAYS ago. */
    retention: Record<string, never>;
    /** Work the queues lost or never got, found and driven on. */
    watchdog: Record<string, never>;
    /** Names on file checked again under the current hold rules, and stamped when they pass. */
    'recheck-names': Record<string, never>;
  };
}

export type QueueName = keyof QueueJobs;
export type JobName<Q extends QueueName> = keyof QueueJobs[Q] & string;
export type JobPayload<Q extends QueueName, J extends JobName<Q>> = QueueJobs[Q][J];

export const QUEUE_NAMES: readonly QueueName[] = [
  'fax-render',
  'fax-deliver',
  'broadcasts',
  'sms-send',
  'member-imports',
  'maintenance',
];

export type Queues = Record<QueueName, Queue>;

const DAY_SECONDS = 86_400;

/**
 * Completed jobs are kept a week: adding a job whose id still exists is a no-op, which is what makes a
 * relay that crashed between adding and marking its rows enqueue nothing twice.
 */
export const DEFAULT_JOB_OPTIONS = {
  removeOnComplete: { age: 7 * DAY_SECONDS },
  removeOnFail: { age: 30 * DAY_SECONDS },
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
} as const;

/**
 * A broadcast makes a job per message: they are kept a day (long enough for the relay's dedupe), and
 * throttling or a Twilio outage is waited out with growing waits over about an hour.
 */
const QUEUE_JOB_OPTIONS: Partial<Record<QueueName, JobsOptions>> = {
  'sms-send': {
    ...DEFAULT_JOB_OPTIONS,
    removeOnComplete: { age: DAY_SECONDS },
    attempts: 12,
    backoff: { type: 'exponential', delay: 1_000 },
  },
};

/** Seconds a finished job is surely kept: by age alone, else none (a count or `true` may drop it at once). */
function keptSeconds(keep: JobsOptions['removeOnComplete']): number {
  if (keep === false || keep === undefined) return Number.POSITIVE_INFINITY;
  return typeof keep === 'object' && 'age' in keep && !('count' in keep) ? keep.age : 0;
}

/**
 * The shortest time any queue keeps a finished job. A job relayed more recently than this that Redis no
 * longer holds was lost (Redis restarted empty, or someone removed it), not cleaned up.
 */
export const SHORTEST_JOB_RETENTION_MS =
  Math.min(
    ...QUEUE_NAMES.flatMap((name) => {
      const options = QUEUE_JOB_OPTIONS[name] ?? DEFAULT_JOB_OPTIONS;
      return [keptSeconds(options.removeOnComplete), keptSeconds(options.removeOnFail)];
    }),
  ) * 1_000;

/**
 * Producers for every queue under `prefix` (config.queuePrefix; tests give their own); `onError` hears
 * connection errors (an unheard one would crash the process).
 */
export function createQueues(
  connection: ConnectionOptions,
  options: { prefix: string; onError?: (error: Error) => void },
): Queues {
  const queues = {} as Queues;
  for (const name of QUEUE_NAMES) {
    const queue = new Queue(name, {
      connection,
      prefix: options.prefix,
      defaultJobOptions: QUEUE_JOB_OPTIONS[name] ?? DEFAULT_JOB_OPTIONS,
    });
    queue.on('error', options.onError ?? (() => {}));
    queues[name] = queue;
  }
  return queues;
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}
