/**
 * The members import's queries: its staging tables (the temporary one of a synchronous import,
 * member_import_rows and member_import_checked of an import job), the job's row, and the merge into
 * supporters. COPY needs the connection itself, so an import holds one connection of the pool
 * (ImportConnection): a transaction begun on its `db` covers the COPY written to its `client`.
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { and, desc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db, Tx } from '../db/client.js';
import type { MemberImportRow, MemberImportStatus } from '../db/rows.js';
import * as schema from '../db/schema.js';
import { memberImportChecked, memberImportRows, memberImports } from '../db/schema.js';
import { HOLD_RULES } from '../supporters/names.js';
import { type CheckedRow, checkedCopyPrefix, checkedCopyText, copyField } from './checked-copy.js';
import type { MemberRecord, Refusal } from './csv.js';

/** The terms recorded as consent for imported members: their consent was given elsewhere. */
export const IMPORT_CONSENT_TERMS = 'import';
/**
 * Any fixed number (beside the migrations' 7_050_5001): one members import at a time, across processes.
 * Held by a synchronous import for its whole run, and by an import job's upload while it writes the
 * job's row.
 */
const IMPORT_LOCK_ID = 7_050_5002;
/** Bytes of COPY text gathered before each write to the connection. */
const COPY_BATCH_BYTES = 64 * 1024;

/** One connection of the pool held by an import: drizzle on it, and the client for COPY. */
export interface ImportConnection {
  db: Db;
  client: pg.PoolClient;
}

export async function connectForImport(pool: pg.Pool): Promise<ImportConnection> {
  const client = await pool.connect();
  return { db: drizzle(client, { schema }), client };
}

/** Gives the connection back to the pool; a broken one (a lock or a table it may still hold) is closed. */
export function releaseImportConnection(connection: ImportConnection, broken: boolean): void {
  connection.client.release(broken);
}

/**
 * What a merge did, or would do: accepted rows (a number given twice counted twice), new members,
 * held names.
 */
export interface MergeCounts {
  valid: number;
  imported: number;
  held: number;
}

/** A row of the file as uploaded: its place in the file (`n`) and its record, unchecked. */
export interface UploadedRow extends MemberRecord {
  n: number;
}

// ---------------------------------------------------------------------------------------------------
// The merge, shared by both kinds of import

/**
 * The first row of each number in the file (by line), as staged. Rows from an earlier line win, so a
 * number given twice keeps its first name and consent. `staged` is a statement reading rows with the
 * columns line, phone_ciphertext, phone_index, name, held, consent_at and consent_source.
 */
const firstOfEachNumber = (staged: SQL) =>
  sql`SELECT DISTINCT ON (phone_index) * FROM (${staged}) staged ORDER BY phone_index, line`;

/**
 * Moves the staged rows into supporters, each new number once, in the caller's transaction;
 * existing members are never touched (a number that only texted becomes a member).
 */
const moveStaged = (staged: SQL, now: Date) => sql`
    WITH inserted AS (
      INSERT INTO supporters (phone_ciphertext, phone_index, name, name_cleared_under, opted_in, consent_at,
                              consent_terms, consent_message_sid, source, created_at, updated_at)
      SELECT phone_ciphertext, phone_index, name,
             CASE WHEN name IS NOT NULL AND NOT held THEN ${HOLD_RULES}::text END, true, consent_at,
             ${IMPORT_CONSENT_TERMS}::text, NULL, 'import:' || consent_source, ${now}::timestamptz,
             ${now}::timestamptz
        -- In the index's order, not the file's: a million new keys go into the unique index's pages
        -- one after another rather than at random (12 s against 7.5 s at a million).
        FROM (${firstOfEachNumber(staged)}) fresh
      -- A member already is theirs: skipped, not re-consented. A number that only texted (HELP, hello)
      -- was not a member: the import's consent makes it one, its name and opt-out kept.
      ON CONFLICT (phone_index) DO UPDATE
        SET consent_at = excluded.consent_at, consent_terms = excluded.consent_terms,
            source = excluded.source, updated_at = excluded.updated_at
        WHERE supporters.consent_at IS NULL AND supporters.erased_at IS NULL
      -- A new row's name is held when it is not stamped as cleared: read back here rather than by
      -- joining the staged rows again.
      RETURNING xmax = 0 AS inserted, name IS NOT NULL AND name_cleared_under IS NULL AS held
    )
    SELECT (SELECT count(*) FROM (${staged}) staged)::int AS valid, count(*)::int AS imported,
           count(*) FILTER (WHERE held AND inserted)::int AS held
      FROM inserted`;

/** What moving the staged rows would do, without moving them. */
const countStaged = (staged: SQL) => sql`
    WITH fresh AS (${firstOfEachNumber(staged)})
    SELECT (SELECT count(*) FROM (${staged}) staged)::int AS valid, count(*)::int AS imported,
           count(*) FILTER (WHERE held)::int AS held
      FROM fresh WHERE NOT EXISTS (
        SELECT 1 FROM supporters s
         WHERE s.phone_index = fresh.phone_index AND (s.consent_at IS NOT NULL OR s.erased_at IS NOT NULL))`;

async function countsOf(db: Tx, statement: SQL): Promise<MergeCounts | undefined> {
  const { rows } = await db.execute<MergeCounts & Record<string, unknown>>(statement);
  return rows[0];
}

/**
 * A network may have grown tenfold at once: the texts' statements are planned on fresh statistics
 * rather than on those autovacuum would take minutes to gather, and the new rows are marked as seen
 * by all. Otherwise the first text from each new member marks its row's page, writing it again, a
 * page per text: at a million, a flood of texts from members across the network ran at 0.25 of a bare
 * route's rate before this and 0.28-0.30 after. Not in a transaction: VACUUM cannot run in one.
 */
export async function vacuumSupporters(db: Tx): Promise<void> {
  await db.execute(sql`VACUUM (ANALYZE) supporters`);
}

/** Whether an import job waits or runs. */
export async function importJobActive(db: Tx): Promise<boolean> {
  const { rows } = await db.execute(
    sql`SELECT 1 FROM member_imports WHERE status IN ('queued', 'running') LIMIT 1`,
  );
  return rows.length > 0;
}

// ---------------------------------------------------------------------------------------------------
// The synchronous import: a temporary table on the import's connection

const TEMPORARY_STAGING = sql`SELECT * FROM member_import`;

/** Takes the import lock for the connection's session; false if another import holds it. */
export async function tryImportLock(connection: ImportConnection): Promise<boolean> {
  const { rows } = await connection.db.execute<{ locked: boolean }>(
    sql`SELECT pg_try_advisory_lock(${IMPORT_LOCK_ID}) AS locked`,
  );
  return rows[0]?.locked === true;
}

export async function releaseImportLock(connection: ImportConnection): Promise<void> {
  await connection.db.execute(sql`SELECT pg_advisory_unlock(${IMPORT_LOCK_ID})`);
}

/** A temporary table of checked rows, empty (one left by an earlier import on the connection is dropped). */
export async function createTemporaryStaging(connection: ImportConnection): Promise<void> {
  await dropTemporaryStaging(connection);
  await connection.db.execute(sql`
    CREATE TEMPORARY TABLE member_import (
      line integer NOT NULL, phone_ciphertext text, phone_index text COLLATE "C" NOT NULL, name text,
      held boolean NOT NULL, consent_at timestamptz NOT NULL, consent_source text NOT NULL)`);
}

export async function dropTemporaryStaging(connection: ImportConnection): Promise<void> {
  await connection.db.execute(sql`DROP TABLE IF EXISTS pg_temp.member_import`);
}

/** Writes checked rows into the temporary table with COPY. */
export async function stageTemporaryRows(connection: ImportConnection, rows: CheckedRow[]): Promise<void> {
  await copyChecked(connection, null, checkedCopyText(checkedCopyPrefix(null), rows));
}

/**
 * Moves the temporary table's rows into supporters (the caller's transaction, on the import's
 * connection).
 */
export const mergeTemporaryStaging = (tx: Tx, now: Date) => countsOf(tx, moveStaged(TEMPORARY_STAGING, now));

export const countTemporaryStaging = (db: Tx) => countsOf(db, countStaged(TEMPORARY_STAGING));

// ---------------------------------------------------------------------------------------------------
// Import jobs

/** The job as shown to staff: its row without the worker's bookkeeping. */
const JOB_COLUMNS = {
  id: memberImports.id,
  status: memberImports.status,
  dryRun: memberImports.dryRun,
  rows: memberImports.rows,
  uploading: memberImports.uploading,
  processed: memberImports.processed,
  imported: memberImports.imported,
  skipped: memberImports.skipped,
  held: memberImports.held,
  refusedCount: memberImports.refusedCount,
  refused: memberImports.refused,
  error: memberImports.error,
  createdAt: memberImports.createdAt,
  startedAt: memberImports.startedAt,
  updatedAt: memberImports.updatedAt,
  finishedAt: memberImports.finishedAt,
};

export type ImportJob = Omit<MemberImportRow, 'runs' | 'staffId'>;

const ACTIVE = inArray(memberImports.status, ['queued', 'running']);

/** Takes the import lock until the transaction ends; false if another import holds it. */
export async function tryImportTransactionLock(tx: Tx): Promise<boolean> {
  const { rows } = await tx.execute<{ locked: boolean }>(
    sql`SELECT pg_try_advisory_xact_lock(${IMPORT_LOCK_ID}) AS locked`,
  );
  return rows[0]?.locked === true;
}

/** Fails the jobs waiting or running that nobody has moved since `before`; returns their ids. */
export async function failImportsIdleSince(
  tx: Tx,
  before: Date,
  reason: string,
  now: Date,
): Promise<number[]> {
  const failed = await tx
    .update(memberImports)
    .set({ status: 'failed', updatedAt: now, finishedAt: now, error: reason })
    .where(and(ACTIVE, lt(memberImports.updatedAt, before)))
    .returning({ id: memberImports.id });
  return failed.map(({ id }) => id);
}

/** A new job whose file is about to arrive (`uploading`). */
export async function insertImportJob(
  tx: Tx,
  job: { dryRun: boolean; staffId: number; now: Date },
): Promise<number> {
  const [created] = await tx
    .insert(memberImports)
    .values({
      dryRun: job.dryRun,
      staffId: job.staffId,
      uploading: true,
      createdAt: job.now,
      updatedAt: job.now,
    })
    .returning({ id: memberImports.id });
  if (!created) throw new Error('the import job was not written');
  return created.id;
}

/**
 * Records how many rows of the file are stored, and whether more are to come; returns the job's status,
 * undefined if it is no longer waiting or running (a worker failed it meanwhile).
 */
export async function setUploadedRows(
  tx: Tx,
  upload: { importId: number; rows: number; uploading: boolean; now: Date },
): Promise<MemberImportStatus | undefined> {
  const [job] = await tx
    .update(memberImports)
    .set({ rows: upload.rows, uploading: upload.uploading, updatedAt: upload.now })
    .where(and(eq(memberImports.id, upload.importId), ACTIVE))
    .returning({ status: memberImports.status });
  return job?.status;
}

/** Where a job's upload stands, for the worker that follows it. */
export async function importUploadOf(
  db: Tx,
  importId: number,
): Promise<{ status: MemberImportStatus; rows: number; uploading: boolean } | undefined> {
  const [job] = await db
    .select({ status: memberImports.status, rows: memberImports.rows, uploading: memberImports.uploading })
    .from(memberImports)
    .where(eq(memberImports.id, importId));
  return job;
}

/** Forgets a job and its rows altogether: its file was refused as it arrived, so nobody saw its id. */
export async function deleteImportJob(tx: Tx, importId: number): Promise<void> {
  await tx.delete(memberImports).where(eq(memberImports.id, importId));
  await deleteStagedRows(tx, importId);
}

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
 * Streams up to `most` of a file's next records into member_import_rows with COPY, numbered on from
 * `after`, as they arrive (the caller's transaction, on the import's connection); returns the number
 * of the last row written and whether the file has ended. A record source that throws stops the COPY
 * (Postgres drops what it took) and the error is thrown on, for the caller's transaction to roll back.
 */
export async function copyUploadedPart(
  connection: ImportConnection,
  importId: number,
  records: AsyncIterator<MemberRecord>,
  part: { after: number; most: number },
): Promise<{ last: number; ended: boolean }> {
  const copy = connection.client.query(
    copyFrom(
      'COPY member_import_rows (import_id, n, line, number, name, consent_date, consent_source) FROM STDIN',
    ),
  );
  // The connection's error surfaces through the writes and `finished` below.
  copy.on('error', () => {});
  const writer = copyWriter(copy);
  let n = part.after;
  let ended = false;
  try {
    while (n < part.after + part.most) {
      const next = await records.next();
      if (next.done) {
        ended = true;
        break;
      }
      const record = next.value;
      n += 1;
      await writer.add(
        `${importId}\t${n}\t${record.line}\t${copyField(record.number)}\t${copyField(record.name)}\t` +
          `${copyField(record.consentDate)}\t${copyField(record.consentSource)}\n`,
      );
    }
    await writer.end();
  } catch (error) {
    // CopyFail: Postgres drops what it took.
    copy.destroy();
    await finished(copy).catch(() => {});
    throw error;
  }
  return { last: n, ended };
}

export async function importJobById(db: Tx, importId: number): Promise<ImportJob | undefined> {
  const [job] = await db.select(JOB_COLUMNS).from(memberImports).where(eq(memberImports.id, importId));
  return job;
}

export async function latestImportJob(db: Tx): Promise<ImportJob | undefined> {
  const [job] = await db.select(JOB_COLUMNS).from(memberImports).orderBy(desc(memberImports.id)).limit(1);
  return job;
}

/**
 * Marks a waiting or running job as running by one more worker run; undefined if it is over. Returns
 * the job with its runs so far and who started it.
 */
export async function takeImportJob(
  db: Tx,
  importId: number,
  now: Date,
): Promise<(ImportJob & { runs: number; staffId: number | null }) | undefined> {
  const [job] = await db
    .update(memberImports)
    .set({
      status: 'running',
      runs: sql`${memberImports.runs} + 1`,
      startedAt: sql`coalesce(${memberImports.startedAt}, ${now})`,
      updatedAt: now,
    })
    .where(and(eq(memberImports.id, importId), ACTIVE))
    .returning({ ...JOB_COLUMNS, runs: memberImports.runs, staffId: memberImports.staffId });
  return job;
}

/**
 * Up to `limit` uploaded rows after the `after`th, in the file's order. Read as pg gives them (integers
 * and text only): drizzle's row mapping cost more than the query for a million rows.
 */
export async function uploadedRowsAfter(
  db: Tx,
  importId: number,
  after: number,
  limit: number,
): Promise<UploadedRow[]> {
  // COPY wrote every column of the file's text, '' for an empty field: none is null. A range of `n`,
  // not `n > after LIMIT`: on a table filled a moment ago, without statistics, Postgres planned the
  // latter as a read of every row after `after` and a sort (200 ms a chunk at a million, against 2 ms).
  const { rows } = await db.execute<UploadedRow & Record<string, unknown>>(sql`
    SELECT n, line, number, name, consent_date AS "consentDate", consent_source AS "consentSource"
      FROM member_import_rows
     WHERE import_id = ${importId} AND n > ${after} AND n <= ${after + limit}
     ORDER BY n`);
  return rows;
}

/**
 * Moves the job's progress from `from` to `to` rows, adding the chunk's refusals; false when the job
 * is no longer where this run left it (another run got there first, or it was failed meanwhile).
 */
export async function recordChunkChecked(
  tx: Tx,
  chunk: { importId: number; from: number; to: number; refusedCount: number; refused: Refusal[]; now: Date },
): Promise<boolean> {
  const moved = await tx
    .update(memberImports)
    .set({
      processed: chunk.to,
      refusedCount: sql`${memberImports.refusedCount} + ${chunk.refusedCount}`,
      refused: sql`${memberImports.refused} || ${JSON.stringify(chunk.refused)}::jsonb`,
      updatedAt: chunk.now,
    })
    .where(
      and(
        eq(memberImports.id, chunk.importId),
        eq(memberImports.status, 'running'),
        eq(memberImports.processed, chunk.from),
      ),
    )
    .returning({ id: memberImports.id });
  return moved.length > 0;
}

/**
 * Writes a chunk's accepted rows, as COPY text already made by the check pool (UTF-8, each line
 * starting with the import's id), into member_import_checked (the caller's transaction).
 */
export async function copyCheckedText(
  connection: ImportConnection,
  importId: number,
  text: Uint8Array,
): Promise<void> {
  await copyChecked(connection, importId, text);
}

/**
 * COPY of checked rows' text: an import job's (`importId`, its lines starting with it), or a synchronous
 * import's temporary table (null).
 */
async function copyChecked(
  connection: ImportConnection,
  importId: number | null,
  text: string | Uint8Array,
): Promise<void> {
  if (text.length === 0) return;
  const columns = 'line, phone_ciphertext, phone_index, name, held, consent_at, consent_source';
  const copy = connection.client.query(
    copyFrom(
      importId === null
        ? `COPY member_import (${columns}) FROM STDIN`
        : `COPY member_import_checked (import_id, ${columns}) FROM STDIN`,
    ),
  );
  copy.end(text);
  await finished(copy);
}

/** The job's status and progress, locked until the transaction ends. */
export async function importJobProgressForUpdate(
  tx: Tx,
  importId: number,
): Promise<{ status: MemberImportStatus; processed: number } | undefined> {
  const [job] = await tx
    .select({ status: memberImports.status, processed: memberImports.processed })
    .from(memberImports)
    .where(eq(memberImports.id, importId))
    .for('update');
  return job;
}

const checkedRowsOf = (importId: number) =>
  sql`SELECT * FROM member_import_checked WHERE import_id = ${importId}`;

/** Moves the job's checked rows into supporters (the caller's transaction). */
export const mergeCheckedRows = (tx: Tx, importId: number, now: Date) =>
  countsOf(tx, moveStaged(checkedRowsOf(importId), now));

export const countCheckedRows = (db: Tx, importId: number) =>
  countsOf(db, countStaged(checkedRowsOf(importId)));

export async function finishImportJob(
  tx: Tx,
  importId: number,
  result: { imported: number; skipped: number; held: number },
  now: Date,
): Promise<void> {
  await tx
    .update(memberImports)
    .set({ status: 'done', ...result, updatedAt: now, finishedAt: now })
    .where(eq(memberImports.id, importId));
}

/** Fails a job waiting or running with its reason; false if it was already over. */
export async function failImportJob(tx: Tx, importId: number, reason: string, now: Date): Promise<boolean> {
  const failed = await tx
    .update(memberImports)
    .set({ status: 'failed', error: reason, updatedAt: now, finishedAt: now })
    .where(and(eq(memberImports.id, importId), ACTIVE))
    .returning({ id: memberImports.id });
  return failed.length > 0;
}

/**
 * Lets the transaction commit without waiting for its WAL to reach the disk: for the transactions that
 * write only staged rows (unlogged) and the job's progress. A crash of Postgres empties the staged rows
 * anyway, and the job then fails with its reason, whatever progress it had recorded.
 */
export async function commitWithoutFlush(tx: Tx): Promise<void> {
  await tx.execute(sql`SET LOCAL synchronous_commit = off`);
}

/** Drops a job's uploaded and checked rows. */
export async function deleteStagedRows(tx: Tx, importId: number): Promise<void> {
  await tx.delete(memberImportRows).where(eq(memberImportRows.importId, importId));
  await tx.delete(memberImportChecked).where(eq(memberImportChecked.importId, importId));
}

/**
 * Empties both staging tables at once when no import is on its way (no upload holds the lock, no job
 * waits or runs), and says whether it did: deleting a million rows one by one costs seconds and leaves
 * them for vacuum.
 */
export async function truncateStagingIfIdle(tx: Tx): Promise<boolean> {
  if (!(await tryImportTransactionLock(tx)) || (await importJobActive(tx))) return false;
  await tx.execute(sql`TRUNCATE member_import_rows, member_import_checked`);
  return true;
}
