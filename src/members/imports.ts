import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import * as schema from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import { enqueue } from '../queue/outbox.repository.js';
import { recordAudit } from '../staff/audit.repository.js';
import type { PhoneCrypto } from '../supporters/phone.js';
import { checkMemberRecord, type MembersFile, type Refusal, readMemberRecords } from './csv.js';
import { type Counts, countStaged, IMPORT_LOCK_ID, importRunning, moveStaged, resultOf } from './service.js';

export const MAX_JOB_ROWS = 2_000_000;
/** Two million members are about 110 MB with names and sources; a typical file of a million, 50 MB. */
export const MAX_JOB_BYTES = 100_000_000;
/** Refused rows kept on the job to show; the rest are counted. */
export const REFUSED_KEPT = 100;
/** Rows a worker checks and stages per transaction: its progress moves by this much. */
const CHECK_CHUNK = 10_000;
/** Bytes of COPY text gathered before each write to the connection. */
const COPY_BATCH_BYTES = 64 * 1024;
/** Times a worker may take an import up: a file that kills its worker each time is failed, not retried forever. */
const MAX_RUNS = 3;
/** A waiting or running import nobody has moved for this long no longer blocks the next one. */
const ABANDONED_AFTER_MINUTES = 15;

export type ImportStatus = (typeof schema.memberImportStatus.enumValues)[number];

export interface ImportJob {
  id: number;
  status: ImportStatus;
  dryRun: boolean;
  rows: number;
  processed: number;
  imported: number;
  skipped: number;
  held: number;
  refusedCount: number;
  refused: Refusal[];
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface ImportJobsDeps {
  pool: pg.Pool;
  clock: () => Date;
  phoneCrypto: PhoneCrypto;
  maxRows?: number;
  maxBytes?: number;
}

/** A field of a COPY text-format row: backslash, tab and line breaks escaped, null as \N. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

const JOB_COLUMNS = `id, status, dry_run AS "dryRun", rows, processed, imported, skipped, held,
  refused_count AS "refusedCount", refused, error, created_at AS "createdAt", started_at AS "startedAt",
  updated_at AS "updatedAt", finished_at AS "finishedAt"`;

/** Writes COPY text to a stream, a batch at a time, waiting whenever the connection is behind. */
function copyWriter(stream: NodeJS.WritableStream) {
  let batch = '';
  return {
    async add(row: string) {
      batch += row;
      if (batch.length < COPY_BATCH_BYTES) return;
      const full = batch;
      batch = '';
      if (!stream.write(full)) await once(stream, 'drain');
    },
    async end() {
      if (batch !== '') stream.write(batch);
      stream.end();
      await finished(stream);
    },
  };
}

/**
 * Members imports as jobs: the web process streams the file into member_import_rows with COPY (its
 * header and size checked, nothing else) and queues the job; a worker checks and encrypts the rows a
 * chunk at a time into member_import_checked, keeping the job's progress, then merges them into
 * supporters in one transaction. A worker killed on the way leaves nothing in supporters; the next one
 * resumes from the last chunk it committed.
 */
export function createImportJobs({
  pool,
  clock,
  phoneCrypto,
  maxRows = MAX_JOB_ROWS,
  maxBytes = MAX_JOB_BYTES,
}: ImportJobsDeps) {
  async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Marks a job failed with its reason and drops its staged rows; a job already over is left as it is. */
  async function fail(importId: number, reason: string): Promise<void> {
    await inTransaction(async (client) => {
      const { rowCount } = await client.query(
        `UPDATE member_imports SET status = 'failed', error = $2, updated_at = $3, finished_at = $3
          WHERE id = $1 AND status IN ('queued', 'running')`,
        [importId, reason, clock()],
      );
      if (!rowCount) return;
      await client.query('DELETE FROM member_import_rows WHERE import_id = $1', [importId]);
      await client.query('DELETE FROM member_import_checked WHERE import_id = $1', [importId]);
    });
  }

  return {
    maxRows,
    maxBytes,

    /**
     * Streams a members file into a new import job and queues it: 202 material. The header, the size
     * and the number of rows are checked as the file arrives (400, 413), the rows themselves by the
     * worker. Nothing is kept of a file refused on the way. One import at a time: 409 while another
     * waits or runs, a synchronous one included.
     */
    async start(source: MembersFile, options: { dryRun: boolean; staffId: number }) {
      return inTransaction(async (client) => {
        const { rows: lock } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_xact_lock($1) AS locked',
          [IMPORT_LOCK_ID],
        );
        if (lock[0]?.locked !== true) throw importRunning();
        const now = clock();
        // An import no worker has moved for a long while (its worker died for good, or none runs) is
        // failed here rather than blocking every import after it.
        const { rows: abandoned } = await client.query<{ id: string }>(
          `UPDATE member_imports
              SET status = 'failed', updated_at = $1, finished_at = $1,
                  error = 'No worker moved this import for ${ABANDONED_AFTER_MINUTES} minutes; nothing was imported. Send the file again.'
            WHERE status IN ('queued', 'running') AND updated_at < $1::timestamptz - interval '${ABANDONED_AFTER_MINUTES} minutes'
            RETURNING id`,
          [now],
        );
        for (const { id } of abandoned) {
          await client.query('DELETE FROM member_import_rows WHERE import_id = $1', [id]);
          await client.query('DELETE FROM member_import_checked WHERE import_id = $1', [id]);
        }
        const active = await client.query(
          `SELECT 1 FROM member_imports WHERE status IN ('queued', 'running') LIMIT 1`,
        );
        if (active.rowCount) throw importRunning();
        const { rows: created } = await client.query<{ id: string }>(
          `INSERT INTO member_imports (dry_run, staff_id, created_at, updated_at) VALUES ($1, $2, $3, $3)
           RETURNING id`,
          [options.dryRun, options.staffId, now],
        );
        const id = Number(created[0]?.id);

        const copy = client.query(
          copyFrom(
            'COPY member_import_rows (import_id, n, line, number, name, consent_date, consent_source) FROM STDIN',
          ),
        );
        // The connection's error surfaces through the writes and `finished` below.
        copy.on('error', () => {});
        const writer = copyWriter(copy);
        let n = 0;
        try {
          for await (const record of readMemberRecords(source, { maxRows, maxBytes })) {
            n += 1;
            await writer.add(
              `${id}\t${n}\t${record.line}\t${copyField(record.number)}\t${copyField(record.name)}\t${copyField(record.consentDate)}\t${copyField(record.consentSource)}\n`,
            );
          }
          await writer.end();
        } catch (error) {
          // CopyFail: Postgres drops what it took; the transaction is rolled back with it.
          copy.destroy();
          await finished(copy).catch(() => {});
          throw error;
        }

        const session = drizzle(client, { schema });
        await session.execute(sql`UPDATE member_imports SET rows = ${n} WHERE id = ${id}`);
        await recordAudit(session, {
          staffId: options.staffId,
          action: options.dryRun ? 'members.import.check' : 'members.import.start',
          entityType: 'member_import',
          entityId: id,
          after: { rows: n, dryRun: options.dryRun },
        });
        await enqueue(session, 'member-imports', 'import', { importId: id });
        return { id, status: 'queued' as const };
      });
    },

    async get(id: number): Promise<ImportJob> {
      const { rows } = await pool.query<ImportJob>(
        `SELECT ${JOB_COLUMNS} FROM member_imports WHERE id = $1`,
        [id],
      );
      const job = rows[0];
      if (!job) throw notFound('Import');
      return { ...job, id: Number(job.id) };
    },

    /** The newest import, if any: the console shows it beside the form. */
    async latest(): Promise<ImportJob | null> {
      const { rows } = await pool.query<ImportJob>(
        `SELECT ${JOB_COLUMNS} FROM member_imports ORDER BY id DESC LIMIT 1`,
      );
      const job = rows[0];
      return job ? { ...job, id: Number(job.id) } : null;
    },

    fail,

    /**
     * The worker's part, from wherever the last run got to: checks and stages the rows a chunk a
     * transaction, then merges them all in one. Safe to run again at any point, and by two workers at
     * once (a chunk is committed only by the run that finds `processed` where it left it).
     */
    async run(importId: number): Promise<void> {
      const { rows: taken } = await pool.query<ImportJob & { runs: number; staffId: string | null }>(
        `UPDATE member_imports
            SET status = 'running', runs = runs + 1, started_at = coalesce(started_at, $2), updated_at = $2
          WHERE id = $1 AND status IN ('queued', 'running')
          RETURNING ${JOB_COLUMNS}, runs, staff_id AS "staffId"`,
        [importId, clock()],
      );
      const job = taken[0];
      if (!job) return;
      if (job.runs > MAX_RUNS) {
        await fail(
          importId,
          `The import stopped ${MAX_RUNS} times before it finished (its worker was killed or ran out of memory); nothing was imported. Send the file again, or split it.`,
        );
        return;
      }
      // Consent dates are checked against the day the file came, whenever the worker gets to them.
      const { createdAt: received, dryRun } = job;
      let { processed, refusedCount } = job;
      let kept = job.refused.length;

      while (processed < job.rows) {
        const { rows } = await pool.query<{
          n: number;
          line: number;
          number: string;
          name: string;
          consentDate: string;
          consentSource: string;
        }>(
          `SELECT n, line, number, name, consent_date AS "consentDate", consent_source AS "consentSource"
             FROM member_import_rows WHERE import_id = $1 AND n > $2 ORDER BY n LIMIT $3`,
          [importId, processed, CHECK_CHUNK],
        );
        if (rows.length === 0) {
          await fail(
            importId,
            'The uploaded rows are gone (the database lost them); nothing was imported. Send the file again.',
          );
          return;
        }
        let staged = '';
        const refused: Refusal[] = [];
        let refusedHere = 0;
        for (const record of rows) {
          const checked = checkMemberRecord(record, received);
          if ('refusal' in checked) {
            refusedHere += 1;
            if (kept + refused.length < REFUSED_KEPT) refused.push(checked.refusal);
            continue;
          }
          const { row } = checked;
          staged += `${importId}\t${row.line}\t${dryRun ? '\\N' : phoneCrypto.encrypt(row.phone)}\t${phoneCrypto.blindIndex(row.phone)}\t${copyField(row.name)}\t${row.held ? 't' : 'f'}\t${row.consentAt.toISOString()}\t${copyField(row.consentSource)}\n`;
        }
        const next = rows[rows.length - 1]?.n ?? processed;
        const moved = await inTransaction(async (client) => {
          const { rowCount } = await client.query(
            `UPDATE member_imports
                SET processed = $3, refused_count = refused_count + $4, refused = refused || $5::jsonb,
                    updated_at = $6
              WHERE id = $1 AND status = 'running' AND processed = $2`,
            [importId, processed, next, refusedHere, JSON.stringify(refused), clock()],
          );
          if (!rowCount) return false;
          if (staged !== '') {
            const copy = client.query(
              copyFrom(
                'COPY member_import_checked (import_id, line, phone_ciphertext, phone_index, name, held, consent_at, consent_source) FROM STDIN',
              ),
            );
            copy.end(staged);
            await finished(copy);
          }
          return true;
        });
        // Another run got here first, or the import was failed meanwhile: that run carries on.
        if (!moved) return;
        processed = next;
        refusedCount += refusedHere;
        kept += refused.length;
      }

      // The merge: one transaction, so that supporters gain every new member of the file or none.
      await inTransaction(async (client) => {
        const { rows: current } = await client.query<{ status: ImportStatus; processed: number }>(
          'SELECT status, processed FROM member_imports WHERE id = $1 FOR UPDATE',
          [importId],
        );
        if (current[0]?.status !== 'running' || current[0].processed !== processed) return;
        const session = drizzle(client, { schema });
        const staged = sql`SELECT * FROM member_import_checked WHERE import_id = ${importId}`;
        const now = clock();
        const { rows } = await session.execute<Counts & Record<string, unknown>>(
          dryRun ? countStaged(staged) : moveStaged(staged, now),
        );
        const result = resultOf(rows[0]);
        await client.query(
          `UPDATE member_imports
              SET status = 'done', imported = $2, skipped = $3, held = $4, updated_at = $5, finished_at = $5
            WHERE id = $1`,
          [importId, result.imported, result.skipped, result.held, now],
        );
        if (!dryRun) {
          await recordAudit(session, {
            staffId: job.staffId === null ? null : Number(job.staffId),
            action: 'members.import',
            entityType: 'member_import',
            entityId: importId,
            after: { ...result, refused: refusedCount },
          });
        }
        await client.query('DELETE FROM member_import_rows WHERE import_id = $1', [importId]);
        await client.query('DELETE FROM member_import_checked WHERE import_id = $1', [importId]);
      });
      // A network may have grown tenfold at once: the texts' statements are planned on fresh
      // statistics rather than on those autovacuum would take minutes to gather.
      if (!dryRun) await pool.query('ANALYZE supporters');
    },
  };
}

export type ImportJobs = ReturnType<typeof createImportJobs>;

/** A job that BullMQ gives up on (every attempt failed) is failed with a reason staff can act on. */
export function importFailure(error: unknown): string {
  const { code } = (error as { cause?: { code?: string } }).cause ?? (error as { code?: string });
  if (error instanceof AppError) return error.message;
  return `The import failed (${code ? `Postgres error ${code}` : 'worker error'}) and was rolled back whole; nothing was imported. Send the file again.`;
}
