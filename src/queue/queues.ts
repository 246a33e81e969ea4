/**
 * The one map of queues and the jobs each carries. Queue names live under the `{pp}` prefix, a Redis
 * Cluster hash tag that keeps each queue's keys in one slot.
 */
export const QUEUE_PREFIX = '{pp}';

export interface QueueJobs {
  /** Building batches and rendering their documents. */
  'fax-render': {
    /** A campaign closed: one last batch of whatever waits. */
    'close-batch': { campaignId: number };
    'render-batch': { batchId: number };
  };
  /** Submitting rendered parts to the fax provider and following them. */
  'fax-deliver': {
    'send-delivery': { deliveryId: number };
  };
  /** Periodic housekeeping. */
  maintenance: {
    'close-expired-campaigns': Record<string, never>;
  };
}

export type QueueName = keyof QueueJobs;
export type JobName<Q extends QueueName> = keyof QueueJobs[Q] & string;
export type JobPayload<Q extends QueueName, J extends JobName<Q>> = QueueJobs[Q][J];

export const QUEUE_NAMES: readonly QueueName[] = ['fax-render', 'fax-deliver', 'maintenance'];
