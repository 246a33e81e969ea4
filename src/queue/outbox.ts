import type { Tx } from '../db/client.js';
import { outbox } from '../db/schema.js';
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

/** The same for many jobs of one kind, in one statement (a broadcast's texts, a thousand at a time). */
export async function enqueueMany<Q extends QueueName, J extends JobName<Q>>(
  tx: Tx,
  queue: Q,
  jobName: J,
  payloads: readonly JobPayload<Q, J>[],
): Promise<void> {
  if (payloads.length === 0) return;
  await tx.insert(outbox).values(payloads.map((payload) => ({ queue, jobName, payload })));
}
