// The outbox: work for the queues, written in the transaction of the change it follows from, and what
// the relay and the watchdog read and mark of it.
import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { OutboxRow } from '../db/rows.js';
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

/**
 * An outbox row as the relay and the watchdog read it. The id stays the string Postgres sends for a
 * bigint read through `execute` (it is only logged and sent back).
 */
export type OutboxJob = Pick<OutboxRow, 'jobKey' | 'queue' | 'jobName' | 'payload'> & { id: string };
/** A row with the time it was relayed or due: `since`. */
export type OutboxJobSince = OutboxJob & { since: Date };

type RawJob = {
  id: string;
  job_key: string;
  queue: string;
  job_name: string;
  payload: unknown;
};

const toJob = (row: RawJob): OutboxJob => ({
  id: row.id,
  jobKey: row.job_key,
  queue: row.queue,
  jobName: row.job_name,
  payload: row.payload,
});

// `execute` gives timestamps as strings: converted here, once.
const toJobSince = (row: RawJob & { since: string }): OutboxJobSince => ({
  ...toJob(row),
  since: new Date(row.since),
});

/** Due rows not yet relayed, oldest first, locked for this transaction (other relays skip them). */
export async function lockDueJobs(tx: Tx, limit: number): Promise<OutboxJob[]> {
  const { rows } = await tx.execute<RawJob>(sql`
    SELECT id, job_key, queue, job_name, payload FROM outbox
    WHERE enqueued_at IS NULL AND run_at <= now()
    ORDER BY id LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`);
  return rows.map(toJob);
}

/** Marks rows as handed to the queues now. The ids as one array parameter: a batch is thousands. */
export async function markRelayed(tx: Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.execute(sql`UPDATE outbox SET enqueued_at = now() WHERE id = ANY(${sql.param(ids)}::bigint[])`);
}

/** Gives rows a new random job key (their job id was taken by another job); they stay pending. */
export async function giveNewJobKeys(tx: Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.execute(
    sql`UPDATE outbox SET job_key = gen_random_uuid() WHERE id = ANY(${sql.param(ids)}::bigint[])`,
  );
}

/** Deletes at most `limit` rows relayed more than `days` ago. */
export async function deleteRelayedBefore(tx: Tx, days: number, limit: number): Promise<void> {
  await tx.execute(sql`
    DELETE FROM outbox WHERE id IN (
      SELECT id FROM outbox WHERE enqueued_at < now() - make_interval(days => ${days})
      LIMIT ${limit})`);
}

/**
 * Rows relayed less than `withinSeconds` and at least `settleSeconds` ago, oldest first; `since`:
 * relayed at.
 */
export async function recentlyRelayedJobs(
  tx: Tx,
  withinSeconds: number,
  settleSeconds: number,
): Promise<OutboxJobSince[]> {
  const { rows } = await tx.execute<RawJob & { since: string }>(sql`
    SELECT id, job_key, queue, job_name, payload, enqueued_at AS since FROM outbox
    WHERE enqueued_at > now() - make_interval(secs => ${withinSeconds})
      AND enqueued_at <= now() - make_interval(secs => ${settleSeconds})
    ORDER BY id`);
  return rows.map(toJobSince);
}

/** How many rows were due `afterSeconds` ago or more and are still not relayed. */
export async function countUnrelayed(tx: Tx, afterSeconds: number): Promise<number> {
  const { rows } = await tx.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM outbox
    WHERE enqueued_at IS NULL AND run_at <= now() - make_interval(secs => ${afterSeconds})`);
  return rows[0]?.n ?? 0;
}

/** The first `limit` of those rows; `since`: due at. */
export async function unrelayedJobs(tx: Tx, afterSeconds: number, limit: number): Promise<OutboxJobSince[]> {
  const { rows } = await tx.execute<RawJob & { since: string }>(sql`
    SELECT id, job_key, queue, job_name, payload, run_at AS since FROM outbox
    WHERE enqueued_at IS NULL AND run_at <= now() - make_interval(secs => ${afterSeconds})
    ORDER BY id LIMIT ${limit}`);
  return rows.map(toJobSince);
}

/**
 * Sends rows of `ids` back to the relay under a new job key, if they are still relayed and settled
 * (`settleSeconds` ago or more); returns how many were.
 */
export async function requeueSettled(tx: Tx, ids: string[], settleSeconds: number): Promise<number> {
  const { rows } = await tx.execute<{ id: string }>(sql`
    UPDATE outbox SET job_key = gen_random_uuid(), enqueued_at = NULL
    WHERE id = ANY(${sql.param(ids)}::bigint[])
      AND enqueued_at <= now() - make_interval(secs => ${settleSeconds})
    RETURNING id`);
  return rows.length;
}

/**
 * The rows of `queue`/`jobName` whose payload's `field` is one of `ids`: that id, the job key, and
 * whether not yet relayed.
 */
export async function jobsForIds(
  tx: Tx,
  queue: QueueName,
  jobName: string,
  field: string,
  ids: number[],
): Promise<{ id: number; jobKey: string; pending: boolean }[]> {
  const { rows } = await tx.execute<{ id: string; job_key: string; pending: boolean }>(sql`
    SELECT payload ->> ${field} AS id, job_key, enqueued_at IS NULL AS pending FROM outbox
    WHERE queue = ${queue} AND job_name = ${jobName}
      AND payload ->> ${field} = ANY(${sql.param(ids.map(String))}::text[])`);
  return rows.map((row) => ({ id: Number(row.id), jobKey: row.job_key, pending: row.pending }));
}
