import { outbox } from '../db/schema.js';
import type { Tx } from '../staff/audit.js';
import type { JobName, JobPayload, QueueName } from './queues.js';

/**
 * Records work for the queues in the caller's transaction; the outbox relay hands it to BullMQ once
 * committed ("BullMQ owns latency, not correctness").
 */
export async function enqueue<Q extends QueueName, J extends JobName<Q>>(
  tx: Tx,
  queue: Q,
  jobName: J,
  payload: JobPayload<Q, J>,
  runAt?: Date,
): Promise<void> {
  await tx.insert(outbox).values({ queue, jobName, payload, ...(runAt ? { runAt } : {}) });
}
