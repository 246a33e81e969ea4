import { type SQL, sql } from 'drizzle-orm';
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

/**
 * The same as a statement for a WITH clause: one job per row of `rows` (a relation of the same statement
 * with a bigint `id`, which becomes the payload's `field`), so that Postgres queues the rows it writes
 * without reading them out and back (a broadcast's texts, a million at a time).
 */
export function enqueueEachSql<Q extends QueueName, J extends JobName<Q>>(
  queue: Q,
  jobName: J,
  field: keyof JobPayload<Q, J> & string,
  rows: SQL,
): SQL {
  return sql`INSERT INTO outbox (queue, job_name, payload)
    SELECT ${queue}::text, ${jobName}::text, jsonb_build_object(${field}::text, id) FROM ${rows} ORDER BY id`;
}
