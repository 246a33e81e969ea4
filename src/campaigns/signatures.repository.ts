/**
 * The queries of signatures and of their counters (signature_counts, kept by triggers on signatures).
 * Each function runs on the executor it is given: the database, or the caller's transaction.
 */
import { finished, type Readable } from 'node:stream';
import { and, asc, count, eq, gt, ilike, inArray, isNotNull, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { to as copyTo } from 'pg-copy-streams';
import type { Pool, Tx } from '../db/client.js';
import type { SignatureRow, SignatureStatus } from '../db/rows.js';
import { signatureCounts, signatures } from '../db/schema.js';

export interface SignatureCounts {
  /** Names that count: valid and held. */
  signatureCount: number;
  heldCount: number;
  lateCount: number;
  hiddenCount: number;
  /** Valid names in no fax batch yet. */
  pendingFaxCount: number;
}

/** Which of a campaign's signatures a list or a change takes. */
export interface SignatureMatch {
  campaignId: number;
  status?: SignatureStatus;
  /** A part of the name, matched anywhere and whatever its case; its % _ and \ are taken literally. */
  nameContains?: string;
}

// Names only, never numbers.
export type ListedSignature = Pick<
  SignatureRow,
  'id' | 'name' | 'status' | 'holdReason' | 'signedAt' | 'batchId'
>;
export type ModeratedSignature = ListedSignature &
  Pick<SignatureRow, 'campaignId' | 'moderatedAt' | 'moderatedBy'>;
export type ModerationChange = Pick<SignatureRow, 'status' | 'moderatedAt' | 'moderatedBy'> &
  Partial<Pick<SignatureRow, 'holdReason'>>;

const listed = {
  id: signatures.id,
  name: signatures.name,
  status: signatures.status,
  holdReason: signatures.holdReason,
  signedAt: signatures.signedAt,
  batchId: signatures.batchId,
};

const moderated = {
  ...listed,
  campaignId: signatures.campaignId,
  moderatedAt: signatures.moderatedAt,
  moderatedBy: signatures.moderatedBy,
};

/** `text` as a LIKE pattern matching itself anywhere: its own % _ and \ are taken literally. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

function matching({ campaignId, status, nameContains }: SignatureMatch): SQL | undefined {
  return and(
    eq(signatures.campaignId, campaignId),
    status ? eq(signatures.status, status) : undefined,
    nameContains ? ilike(signatures.name, containsPattern(nameContains)) : undefined,
  );
}

/** A sum of the kept counters (signature_counts) that match `condition`. */
const summed = (condition: SQL) =>
  sql<number>`coalesce(sum(${signatureCounts.n}) filter (where ${condition}), 0)`.mapWith(Number);

/**
 * The counts of several campaigns in one grouped query, from the counters kept on writing. A campaign
 * nobody has signed has no entry.
 */
export async function signatureCountsByCampaign(
  db: Tx,
  campaignIds: number[],
): Promise<Map<number, SignatureCounts>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await db
    .select({
      campaignId: signatureCounts.campaignId,
      signatureCount: summed(inArray(signatureCounts.status, ['valid', 'held'])),
      heldCount: summed(eq(signatureCounts.status, 'held')),
      lateCount: summed(eq(signatureCounts.status, 'late')),
      hiddenCount: summed(eq(signatureCounts.status, 'hidden')),
      pendingFaxCount: summed(sql`${signatureCounts.status} = 'valid' AND NOT ${signatureCounts.faxed}`),
    })
    .from(signatureCounts)
    .where(inArray(signatureCounts.campaignId, campaignIds))
    .groupBy(signatureCounts.campaignId);
  return new Map(rows.map(({ campaignId, ...counts }) => [campaignId, counts]));
}

/**
 * A campaign's signatures of these statuses (all when none are given), from the kept counters: a
 * million names cost no count. The public page counts valid and held.
 */
export async function countKeptSignatures(
  db: Tx,
  campaignId: number,
  statuses?: readonly SignatureStatus[],
): Promise<number> {
  const [total] = await db
    .select({ n: sql<number>`coalesce(sum(${signatureCounts.n}), 0)`.mapWith(Number) })
    .from(signatureCounts)
    .where(
      and(
        eq(signatureCounts.campaignId, campaignId),
        statuses ? inArray(signatureCounts.status, [...statuses]) : undefined,
      ),
    );
  return total?.n ?? 0;
}

/** Counted row by row: for a search by name, which the counters cannot answer. */
export async function countMatchingSignatures(db: Tx, match: SignatureMatch): Promise<number> {
  const [total] = await db.select({ n: count() }).from(signatures).where(matching(match));
  return total?.n ?? 0;
}

/** One page of the matching signatures in signing order, by offset (the console's numbered pages). */
export async function matchingSignatures(
  db: Tx,
  match: SignatureMatch,
  { limit, offset }: { limit: number; offset: number },
): Promise<ListedSignature[]> {
  return db
    .select(listed)
    .from(signatures)
    .where(matching(match))
    .orderBy(signatures.id)
    .limit(limit)
    .offset(offset);
}

/** The matching signatures after `afterId` in signing order, `limit` at most (keyset pages). */
export async function signaturesAfterId(
  db: Tx,
  match: SignatureMatch,
  { afterId, limit }: { afterId: number | null; limit: number },
): Promise<ListedSignature[]> {
  return db
    .select(listed)
    .from(signatures)
    .where(and(matching(match), afterId === null ? undefined : gt(signatures.id, afterId)))
    .orderBy(signatures.id)
    .limit(limit);
}

/**
 * A campaign's signatures (of one status, or all) as CSV written by Postgres, streamed: a header
 * `row,name,status,signed_at`, then one line per signature in signing order with its ordinal in the
 * export, its name (empty when erased or never given), its status and its signing time as
 * `toISOString()` writes it. A name a spreadsheet would run as a formula (starting with = + - @, a
 * tab or a carriage return) gets a leading apostrophe, as OWASP advises against CSV injection.
 *
 * COPY needs a connection of its own: it is held until the stream ends, and given back when it does,
 * fails, or is destroyed (a client gone mid-download); then the connection is closed, which stops
 * the COPY, rather than returned to the pool with a COPY still running on it.
 */
export async function signaturesCsv(
  pool: Pool,
  { campaignId, status }: { campaignId: number; status?: SignatureStatus },
): Promise<Readable> {
  // COPY takes no parameters: the id is checked to be an integer, the status quoted as a literal.
  if (!Number.isSafeInteger(campaignId)) throw new TypeError(`not a campaign id: ${campaignId}`);
  const client = await pool.connect();
  const ofStatus = status ? `AND status = ${client.escapeLiteral(status)}` : '';
  // An empty name is written as NULL, an empty cell as it always was: COPY would write "" for it.
  const text = `COPY (
    SELECT row_number() OVER (ORDER BY id) AS "row",
           NULLIF(CASE WHEN left(name, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || name
                       ELSE name END, '') AS name,
           status,
           to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS signed_at
      FROM signatures
     WHERE campaign_id = ${campaignId} ${ofStatus}
     ORDER BY id
  ) TO STDOUT WITH (FORMAT csv, HEADER)`;
  let released = false;
  const release = (error?: Error | null) => {
    if (released) return;
    released = true;
    client.release(error ?? undefined);
  };
  let csv: Readable;
  try {
    csv = client.query(copyTo(text));
  } catch (error) {
    release(error as Error);
    throw error;
  }
  // Kept for the stream's whole life: once its connection is closed, pg reports the end of the COPY
  // as an error on the stream, after whoever read it has gone.
  csv.on('error', () => {});
  finished(csv, release);
  return csv;
}

/** The signature, locked until the transaction ends. */
export async function lockSignatureById(tx: Tx, id: number): Promise<ModeratedSignature | undefined> {
  const [row] = await tx.select(moderated).from(signatures).where(eq(signatures.id, id)).for('update');
  return row;
}

export async function moderateSignature(
  tx: Tx,
  id: number,
  change: ModerationChange,
): Promise<ModeratedSignature | undefined> {
  const [row] = await tx.update(signatures).set(change).where(eq(signatures.id, id)).returning(moderated);
  return row;
}

/**
 * Changes, in one statement, the matching signatures that are in one of `from` and in no fax batch
 * (and, with `namedOnly`, have a name); returns how many changed.
 */
export async function moderateMatchingSignatures(
  tx: Tx,
  match: SignatureMatch,
  { from, namedOnly }: { from: readonly SignatureStatus[]; namedOnly: boolean },
  change: ModerationChange,
): Promise<number> {
  // Counted by Postgres, not returned: releasing a whole campaign's held names may change a million rows.
  const result = await tx
    .update(signatures)
    .set(change)
    .where(
      and(
        matching(match),
        inArray(signatures.status, [...from]),
        isNull(signatures.batchId),
        namedOnly ? isNotNull(signatures.name) : undefined,
      ),
    );
  return result.rowCount ?? 0;
}

/** Valid and held signatures per UTC hour signed, from the kept counters; hours with none left out. */
export async function signedPerHour(
  db: Tx,
  campaignId: number,
): Promise<Array<{ start: Date; count: number }>> {
  return db
    .select({ start: signatureCounts.hour, count: sql<number>`sum(${signatureCounts.n})`.mapWith(Number) })
    .from(signatureCounts)
    .where(
      and(eq(signatureCounts.campaignId, campaignId), inArray(signatureCounts.status, ['valid', 'held'])),
    )
    .groupBy(signatureCounts.hour)
    .having(sql`sum(${signatureCounts.n}) > 0`)
    .orderBy(signatureCounts.hour);
}

export async function campaignIdOfSignature(db: Tx, id: number): Promise<number | undefined> {
  const [row] = await db
    .select({ campaignId: signatures.campaignId })
    .from(signatures)
    .where(eq(signatures.id, id));
  return row?.campaignId;
}

// The fax room's use of signatures: the names waiting for a batch, claimed into one, then read back.

/** Valid signatures of a campaign that no batch has claimed yet. */
const waiting = (campaignId: number) =>
  and(eq(signatures.campaignId, campaignId), eq(signatures.status, 'valid'), isNull(signatures.batchId));

export async function countWaitingSignatures(db: Tx, campaignId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(signatures).where(waiting(campaignId));
  return row?.n ?? 0;
}

/** Claims every waiting signature of a campaign into a batch; returns how many. */
export async function claimWaitingSignatures(db: Tx, campaignId: number, batchId: number): Promise<number> {
  const result = await db.update(signatures).set({ batchId }).where(waiting(campaignId));
  return result.rowCount ?? 0;
}

/**
 * Passes a batch's names (null where erased), in signing order, `chunk` at a time to `each`, through a
 * cursor rather than all at once. Runs in a transaction: a cursor lives only as long as its transaction.
 */
export async function eachChunkOfBatchNames(
  tx: Tx,
  batchId: number,
  chunk: number,
  each: (names: Array<string | null>) => void,
): Promise<void> {
  await tx.execute(
    sql`DECLARE batch_names NO SCROLL CURSOR FOR
        SELECT name FROM signatures WHERE batch_id = ${batchId} ORDER BY id`,
  );
  for (;;) {
    const { rows } = await tx.execute<{ name: string | null }>(sql.raw(`FETCH ${chunk} FROM batch_names`));
    each(rows.map((row) => row.name));
    if (rows.length < chunk) break;
  }
  await tx.execute(sql`CLOSE batch_names`);
}

/** The id of the signature at each of `places` (0-based, in signing order) in a batch, in one pass. */
export async function signatureIdsAtPlaces(
  db: Tx,
  batchId: number,
  places: readonly number[],
): Promise<Map<number, number>> {
  const { rows } = await db.execute<{ place: number; id: number }>(sql`
    SELECT place::int, id FROM (
      SELECT id, row_number() OVER (ORDER BY id) - 1 AS place FROM signatures WHERE batch_id = ${batchId}
    ) numbered
    WHERE place = ANY(${`{${places.join(',')}}`}::bigint[])`);
  return new Map(rows.map((row) => [row.place, row.id]));
}

/**
 * Passes the names of a campaign's signatures waiting for a batch (null where erased), in signing order,
 * `chunk` at a time to `each`, through a cursor rather than all at once. Runs in a transaction: a cursor
 * lives only as long as its transaction.
 */
export async function eachChunkOfWaitingNames(
  tx: Tx,
  campaignId: number,
  chunk: number,
  each: (names: Array<string | null>) => void,
): Promise<void> {
  await eachChunkOfNames(tx, campaignId, { onlyWaiting: true }, chunk, each);
}

/**
 * The names of a campaign's valid signatures (only those waiting for a batch with `onlyWaiting`), as
 * eachChunkOfWaitingNames passes them.
 */
export async function eachChunkOfNames(
  tx: Tx,
  campaignId: number,
  { onlyWaiting }: { onlyWaiting: boolean },
  chunk: number,
  each: (names: Array<string | null>) => void,
): Promise<void> {
  await tx.execute(sql`
    DECLARE campaign_names NO SCROLL CURSOR FOR
      SELECT name FROM signatures
       WHERE campaign_id = ${campaignId} AND status = 'valid' ${onlyWaiting ? sql`AND batch_id IS NULL` : sql``}
       ORDER BY id`);
  for (;;) {
    const { rows } = await tx.execute<{ name: string | null }>(sql.raw(`FETCH ${chunk} FROM campaign_names`));
    each(rows.map((row) => row.name));
    if (rows.length < chunk) break;
  }
  await tx.execute(sql`CLOSE campaign_names`);
}

/**
 * Up to `limit` names of a batch after the signature `afterId` and before `beforeId` (null: to the end),
 * in signing order, with their ids. Both bounds let the planner read the primary key's range: signatures
 * has no index on batch_id, and a batch's rows are counted as none until the next ANALYZE, so with only
 * a lower bound it scanned the whole table once per part.
 */
export function batchNamesBetween(
  db: Tx,
  batchId: number,
  afterId: number,
  beforeId: number | null,
  limit: number,
): Promise<Array<{ id: number; name: string | null }>> {
  return db
    .select({ id: signatures.id, name: signatures.name })
    .from(signatures)
    .where(
      and(
        eq(signatures.batchId, batchId),
        gt(signatures.id, afterId),
        beforeId === null ? undefined : lt(signatures.id, beforeId),
      ),
    )
    .orderBy(asc(signatures.id))
    .limit(limit);
}

/**
 * Hides a supporter's valid and held signatures, faxed ones too; returns each hidden signature's batch
 * (null: not faxed yet).
 */
export async function hideSignaturesOf(tx: Tx, supporterId: number): Promise<{ batchId: number | null }[]> {
  return tx
    .update(signatures)
    .set({ status: 'hidden' })
    .where(and(eq(signatures.supporterId, supporterId), inArray(signatures.status, ['valid', 'held'])))
    .returning({ batchId: signatures.batchId });
}

export async function clearSignatureNamesOf(tx: Tx, supporterId: number): Promise<void> {
  await tx.update(signatures).set({ name: null }).where(eq(signatures.supporterId, supporterId));
}
