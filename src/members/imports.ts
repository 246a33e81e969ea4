import { setTimeout } from 'node:timers/promises';
import type { Database, Db, Tx } from '../db/client.js';
import { AppError, notFound } from '../errors.js';
import { enqueue } from '../queue/outbox.repository.js';
import { recordAudit } from '../staff/audit.repository.js';
import type { PhoneKeys } from '../supporters/phone.js';
import { type CheckedChunk, type CheckPool, createCheckPool, DEFAULT_CHECK_THREADS } from './check-pool.js';
import { type MembersFile, readMemberRecords } from './csv.js';
import type { ImportConnection, ImportJob, UploadedRow } from './imports.repository.js';
import * as repository from './imports.repository.js';
import { handled, importRunning, resultOf } from './service.js';

export type { ImportJob } from './imports.repository.js';

export const MAX_JOB_ROWS = 2_000_000;
/** Two million members are about 110 MB with names and sources; a typical file of a million, 50 MB. */
export const MAX_JOB_BYTES = 100_000_000;
/** Refused rows kept on the job to show; the rest are counted. */
export const REFUSED_KEPT = 100;
/**
 * Rows a worker checks and stages per transaction: its progress moves by this much. Two chunks are in
 * hand at once (one checked while the last is written), so a smaller chunk keeps the worker's memory down.
 */
const CHECK_CHUNK = 5_000;
/**
 * Times a worker may take an import up: a file that kills its worker each time is failed, not
 * retried forever.
 */
const MAX_RUNS = 3;
const ROWS_GONE =
  'The uploaded rows are gone (the database lost them, as a restart of Postgres does); nothing was ' +
  'imported. Send the file again.';
/** How much of a job's file is stored, and whether more is to come. */
interface Upload {
  rows: number;
  uploading: boolean;
}

/** Thrown to roll a merge back when fewer checked rows are staged than the job counted. */
class StagedRowsGone extends Error {}
/**
 * Rows of the file stored per transaction as it arrives: what a worker may check before the rest has
 * come (a megabyte or so).
 */
const UPLOAD_PART = 20_000;
/** A file whose next part has not come for this long was cut off: its import is failed. */
const UPLOAD_STALLED_MS = 2 * 60_000;
/** How often a worker that has checked every row stored so far looks for more. */
const UPLOAD_POLL_MS = 100;
const uploadStopped = () =>
  new AppError(409, 'import_stopped', 'The import was stopped while the file arrived; send it again.');
/** Chunks read and handed to the check threads ahead of the one to write next. */
const CHUNKS_IN_HAND = 3;
/** A file of at most this many rows left to check is checked on the worker's own thread. */
const SMALL_FILE_ROWS = 20_000;
/** A waiting or running import nobody has moved for this long no longer blocks the next one. */
const ABANDONED_AFTER_MINUTES = 15;

export interface ImportJobsDeps {
  db: Db;
  /** COPY needs a connection of its own, taken from the pool for the transaction that writes it. */
  pool: Database['pool'];
  clock: () => Date;
  /** The phone keys, for the threads that encrypt the file's numbers. */
  phoneKeys: PhoneKeys;
  /** Threads that check a large file's rows at once. */
  checkThreads?: number;
  maxRows?: number;
  maxBytes?: number;
  /** How long a file may stop arriving before its import is failed. */
  uploadStalledMs?: number;
}

/**
 * Members imports as jobs: the web process streams the file into member_import_rows with COPY (its
 * header and size checked, nothing else) and queues the job; a worker checks and encrypts the rows a
 * chunk at a time into member_import_checked, keeping the job's progress, then merges them into
 * supporters in one transaction. A worker killed on the way leaves nothing in supporters; the next one
 * resumes from the last chunk it committed.
 */
export function createImportJobsService({
  db,
  pool,
  clock,
  phoneKeys,
  checkThreads = DEFAULT_CHECK_THREADS,
  maxRows = MAX_JOB_ROWS,
  maxBytes = MAX_JOB_BYTES,
  uploadStalledMs = UPLOAD_STALLED_MS,
}: ImportJobsDeps) {
  /** A connection of the pool held for `work`, which may write with COPY as well as statements. */
  async function withImportConnection<T>(work: (connection: ImportConnection) => Promise<T>): Promise<T> {
    const connection = await repository.connectForImport(pool);
    let broken = false;
    try {
      return await work(connection);
    } catch (error) {
      // Our own refusals come after a clean rollback; after anything else the connection is not trusted.
      broken = !(error instanceof AppError);
      throw error;
    } finally {
      repository.releaseImportConnection(connection, broken);
    }
  }

  /** A transaction on a connection of its own. */
  const inCopyTransaction = <T>(work: (tx: Tx, connection: ImportConnection) => Promise<T>): Promise<T> =>
    withImportConnection((connection) => connection.db.transaction((tx) => work(tx, connection)));

  /** Marks a job failed with its reason and drops its staged rows; a job already over is left as it is. */
  async function fail(importId: number, reason: string): Promise<void> {
    await db.transaction(async (tx) => {
      if (!(await repository.failImportJob(tx, importId, reason, clock()))) return;
      await repository.deleteStagedRows(tx, importId);
    });
  }

  /**
   * Waits until rows beyond the `after`th are stored, a whole chunk of them or the file's end; returns
   * the upload as it then stands, or null when the job is no longer running (failed, or over) or its
   * file stopped arriving (the job is failed).
   */
  async function uploadedBeyond(importId: number, after: number, known: Upload): Promise<Upload | null> {
    let upload = known;
    let movedAt = Date.now();
    while (upload.uploading && upload.rows < after + CHECK_CHUNK) {
      await setTimeout(UPLOAD_POLL_MS);
      const now = await repository.importUploadOf(db, importId);
      if (now?.status !== 'running') return null;
      if (now.rows !== upload.rows) movedAt = Date.now();
      else if (Date.now() - movedAt > uploadStalledMs) {
        await fail(
          importId,
          'The file stopped arriving before its end (the upload was cut off); nothing was imported. ' +
            'Send the file again.',
        );
        return null;
      }
      upload = now;
    }
    return upload;
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
      return withImportConnection(async (connection) => {
        const id = await connection.db.transaction(async (tx) => {
          if (!(await repository.tryImportTransactionLock(tx))) throw importRunning();
          const now = clock();
          // An import no worker has moved for a long while (its worker died for good, or none runs) is
          // failed here rather than blocking every import after it.
          const abandoned = await repository.failImportsIdleSince(
            tx,
            new Date(now.getTime() - ABANDONED_AFTER_MINUTES * 60_000),
            `No worker moved this import for ${ABANDONED_AFTER_MINUTES} minutes; nothing was imported. ` +
              'Send the file again.',
            now,
          );
          for (const id of abandoned) await repository.deleteStagedRows(tx, id);
          if (await repository.importJobActive(tx)) throw importRunning();
          const id = await repository.insertImportJob(tx, {
            dryRun: options.dryRun,
            staffId: options.staffId,
            now,
          });
          // Queued at once: a worker checks the file's first parts while the rest arrives.
          await enqueue(tx, 'member-imports', 'import', { importId: id });
          return id;
        });
        try {
          const records = readMemberRecords(source, { maxRows, maxBytes })[Symbol.asyncIterator]();
          let rows = 0;
          let status: 'queued' | 'running' = 'queued';
          for (let ended = false; !ended; ) {
            ({
              last: rows,
              ended,
              status,
            } = await connection.db.transaction(async (tx) => {
              await repository.commitWithoutFlush(tx);
              const part = await repository.copyUploadedPart(connection, id, records, {
                after: rows,
                most: UPLOAD_PART,
              });
              const status = await repository.setUploadedRows(tx, {
                importId: id,
                rows: part.last,
                uploading: !part.ended,
                now: clock(),
              });
              if (status !== 'queued' && status !== 'running') throw uploadStopped();
              return { ...part, status };
            }));
          }
          await recordAudit(db, {
            staffId: options.staffId,
            action: options.dryRun ? 'members.import.check' : 'members.import.start',
            entityType: 'member_import',
            entityId: id,
            after: { rows, dryRun: options.dryRun },
          });
          return { id, status };
        } catch (error) {
          // A file refused on the way (400, 413) or cut off: nothing of it is kept, its job included.
          await db.transaction((tx) => repository.deleteImportJob(tx, id));
          throw error;
        }
      });
    },

    async get(id: number): Promise<ImportJob> {
      const job = await repository.importJobById(db, id);
      if (!job) throw notFound('Import');
      return job;
    },

    /** The newest import, if any: the console shows it beside the form. */
    async latest(): Promise<ImportJob | null> {
      return (await repository.latestImportJob(db)) ?? null;
    },

    fail,

    /**
     * The worker's part, from wherever the last run got to: checks and stages the rows a chunk a
     * transaction, then merges them all in one. Safe to run again at any point, and by two workers at
     * once (a chunk is committed only by the run that finds `processed` where it left it).
     */
    async run(importId: number): Promise<void> {
      const job = await repository.takeImportJob(db, importId, clock());
      if (!job) return;
      if (job.runs > MAX_RUNS) {
        await fail(
          importId,
          `The import stopped ${MAX_RUNS} times before it finished (its worker was killed or ran out of ` +
            'memory); nothing was imported. Send the file again, or split it.',
        );
        return;
      }
      // Consent dates are checked against the day the file came, whenever the worker gets to them.
      const { createdAt: received, dryRun } = job;
      let { processed, refusedCount } = job;
      let kept = job.refused.length;

      // Chunks overlap: the next chunks are read while earlier ones are checked in threads (a pool of
      // them), and each is written while later ones are checked, so that Postgres and every core work at
      // once. Chunks are written in the file's order, each transaction after the last one committed.
      let writing: Promise<boolean> = Promise.resolve(true);
      let upload: Upload = { rows: job.rows, uploading: job.uploading };
      const nextChunk = async (after: number): Promise<UploadedRow[] | null> => {
        const stored = await uploadedBeyond(importId, after, upload);
        if (!stored) return null;
        upload = stored;
        const count = Math.min(CHECK_CHUNK, upload.rows - after);
        if (count === 0) return [];
        const rows = await repository.uploadedRowsAfter(db, importId, after, count);
        if (rows.length === count) return rows;
        await fail(importId, ROWS_GONE);
        return null;
      };
      const read = (after: number) => {
        const next = { rows: handled(nextChunk(after)), ready: false };
        void next.rows.finally(() => {
          next.ready = true;
        });
        return next;
      };
      let reading = read(processed);
      let pool: CheckPool | null = null;
      const checking: Array<{ to: number; checked: Promise<CheckedChunk> }> = [];
      try {
        for (let ended = false; ; ) {
          // More chunks to the threads, but never wait for rows while a checked chunk could be written.
          while (!ended && checking.length < CHUNKS_IN_HAND && (checking.length === 0 || reading.ready)) {
            const rows = await reading.rows;
            // Failed, or taken by another run meanwhile.
            if (!rows) {
              await writing;
              return;
            }
            const last = rows.at(-1);
            if (!last) {
              ended = true;
              break;
            }
            reading = read(last.n);
            // A small file is checked here: threads take longer to start than it to check.
            pool ??= createCheckPool({
              phoneKeys,
              threads: upload.uploading || upload.rows - processed > SMALL_FILE_ROWS ? checkThreads : 0,
            });
            const chunk = { importId, rows, received: received.getTime(), dryRun, keepRefused: REFUSED_KEPT };
            checking.push({ to: last.n, checked: handled(pool.check(chunk)) });
          }
          const next = checking.shift();
          if (!next) break;
          const checked = await next.checked;
          const refused = checked.refused.slice(0, Math.max(REFUSED_KEPT - kept, 0));
          // Another run got here first, or the import was failed meanwhile: that run carries on.
          if (!(await writing)) return;
          const chunk = {
            importId,
            from: processed,
            to: next.to,
            refusedCount: checked.refusedCount,
            refused,
          };
          writing = handled(
            inCopyTransaction(async (tx, connection) => {
              await repository.commitWithoutFlush(tx);
              if (!(await repository.recordChunkChecked(tx, { ...chunk, now: clock() }))) return false;
              await repository.copyCheckedText(connection, importId, checked.copy);
              return true;
            }),
          );
          processed = next.to;
          refusedCount += checked.refusedCount;
          kept += refused.length;
        }
        if (!(await writing)) return;
      } finally {
        await pool?.close();
      }

      // The merge: one transaction, so that supporters gain every new member of the file or none.
      const merged = await db
        .transaction(async (tx) => {
          const current = await repository.importJobProgressForUpdate(tx, importId);
          if (current?.status !== 'running' || current.processed !== processed) return false;
          const now = clock();
          const counts = dryRun
            ? await repository.countCheckedRows(tx, importId)
            : await repository.mergeCheckedRows(tx, importId, now);
          // The staging tables are unlogged: a restart of Postgres empties them. Merged, a file would then
          // come in short without a word.
          if ((counts?.valid ?? 0) !== processed - refusedCount) throw new StagedRowsGone();
          const result = resultOf(counts);
          await repository.finishImportJob(tx, importId, result, now);
          if (!dryRun) {
            await recordAudit(tx, {
              staffId: job.staffId,
              action: 'members.import',
              entityType: 'member_import',
              entityId: importId,
              after: { ...result, refused: refusedCount },
            });
          }
          // Finished, this job no longer counts as on its way.
          if (!(await repository.truncateStagingIfIdle(tx))) await repository.deleteStagedRows(tx, importId);
          return true;
        })
        .catch((error: unknown) => {
          if (error instanceof StagedRowsGone) return null;
          throw error;
        });
      if (merged === null) {
        await fail(importId, ROWS_GONE);
        return;
      }
      if (!merged) return;
      if (!dryRun) await repository.vacuumSupporters(db);
    },
  };
}

export type ImportJobsService = ReturnType<typeof createImportJobsService>;

/** A job that BullMQ gives up on (every attempt failed) is failed with a reason staff can act on. */
export function importFailure(error: unknown): string {
  const { code } = (error as { cause?: { code?: string } }).cause ?? (error as { code?: string });
  if (error instanceof AppError) return error.message;
  return (
    `The import failed (${code ? `Postgres error ${code}` : 'worker error'}) and was rolled back whole; ` +
    'nothing was imported. Send the file again.'
  );
}
