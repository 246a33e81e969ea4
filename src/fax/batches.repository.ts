/**
 * Every query of fax_batches, and the fax room's reads of the campaigns room's tables (campaigns,
 * targets, signatures), each marked: they move to the campaigns room's repository at merge.
 */
import { and, asc, count, desc, eq, gt, gte, isNull, lt, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { CampaignRow, FaxBatchRow, FaxBatchStatus, TargetRow } from '../db/rows.js';
import { campaigns, faxBatches, signatures, targets } from '../db/schema.js';

export type NewFaxBatch = typeof faxBatches.$inferInsert;

export async function batchById(db: Tx, batchId: number): Promise<FaxBatchRow | undefined> {
  const [batch] = await db.select().from(faxBatches).where(eq(faxBatches.id, batchId));
  return batch;
}

/** A batch with its campaign. */
export async function batchWithCampaign(
  db: Tx,
  batchId: number,
): Promise<{ batch: FaxBatchRow; campaign: CampaignRow } | undefined> {
  // reads campaigns (owned by campaigns): moves at merge
  const [row] = await db
    .select({ batch: faxBatches, campaign: campaigns })
    .from(faxBatches)
    .innerJoin(campaigns, eq(campaigns.id, faxBatches.campaignId))
    .where(eq(faxBatches.id, batchId));
  return row;
}

/** When the campaign of a batch closes; null when it has no deadline or the batch does not exist. */
export async function closingOfBatchCampaign(db: Tx, batchId: number): Promise<Date | null> {
  // reads campaigns (owned by campaigns): moves at merge
  const [row] = await db
    .select({ closesAt: campaigns.closesAt })
    .from(faxBatches)
    .innerJoin(campaigns, eq(campaigns.id, faxBatches.campaignId))
    .where(eq(faxBatches.id, batchId));
  return row?.closesAt ?? null;
}

/** A campaign's batches newer than nothing or older than the batch `before`, newest first. */
export function batchesOfCampaign(
  db: Tx,
  campaignId: number,
  before: number | null,
  limit: number,
): Promise<FaxBatchRow[]> {
  return db
    .select()
    .from(faxBatches)
    .where(
      and(eq(faxBatches.campaignId, campaignId), before === null ? undefined : lt(faxBatches.id, before)),
    )
    .orderBy(desc(faxBatches.id))
    .limit(limit);
}

/** Whether a campaign has a scheduled batch made at `since` or after. */
export async function hasScheduledBatchSince(db: Tx, campaignId: number, since: Date): Promise<boolean> {
  const [batch] = await db
    .select({ id: faxBatches.id })
    .from(faxBatches)
    .where(
      and(
        eq(faxBatches.campaignId, campaignId),
        eq(faxBatches.reason, 'schedule'),
        gte(faxBatches.createdAt, since),
      ),
    )
    .limit(1);
  return batch !== undefined;
}

/** Batches still pending (never rendered) that were made before `before`. */
export function pendingBatchesMadeBefore(
  db: Tx,
  before: Date,
): Promise<Array<Pick<FaxBatchRow, 'id' | 'campaignId' | 'createdAt' | 'nudgedAt'>>> {
  return db
    .select({
      id: faxBatches.id,
      campaignId: faxBatches.campaignId,
      createdAt: faxBatches.createdAt,
      nudgedAt: faxBatches.nudgedAt,
    })
    .from(faxBatches)
    .where(and(eq(faxBatches.status, 'pending'), lt(faxBatches.createdAt, before)));
}

export async function insertBatch(db: Tx, batch: NewFaxBatch): Promise<FaxBatchRow> {
  const [inserted] = await db.insert(faxBatches).values(batch).returning();
  if (!inserted) throw new Error('insert returned no batch');
  return inserted;
}

export async function updateBatch(db: Tx, batchId: number, fields: Partial<FaxBatchRow>): Promise<void> {
  await db.update(faxBatches).set(fields).where(eq(faxBatches.id, batchId));
}

/** A batch's first delivery ready to send: pending → sending; any other status is kept. */
export async function markBatchSending(db: Tx, batchId: number): Promise<void> {
  await db
    .update(faxBatches)
    .set({ status: 'sending' })
    .where(and(eq(faxBatches.id, batchId), eq(faxBatches.status, 'pending')));
}

/** Records how a batch ended, unless it already has. */
export async function completeBatch(
  db: Tx,
  batchId: number,
  status: FaxBatchStatus,
  now: Date,
): Promise<void> {
  await db
    .update(faxBatches)
    .set({ status, completedAt: now })
    .where(and(eq(faxBatches.id, batchId), isNull(faxBatches.completedAt)));
}

/**
 * Takes a batch's row lock (not FOR UPDATE, which would block the key-share locks of its deliveries'
 * foreign keys) and returns its status; with `skipLocked`, undefined when another run holds it.
 */
export async function lockBatch(
  db: Tx,
  batchId: number,
  { skipLocked }: { skipLocked: boolean },
): Promise<FaxBatchStatus | undefined> {
  const [batch] = await db
    .select({ status: faxBatches.status })
    .from(faxBatches)
    .where(eq(faxBatches.id, batchId))
    .for('no key update', skipLocked ? { skipLocked: true } : {});
  return batch?.status;
}

// The fax room's reads (and one write) of the campaigns room's tables, for the lead to move at merge.

/**
 * Locks a campaign's row so that its batches are made one at a time. Not FOR UPDATE: inbound signing
 * takes a key-share lock on the row through its foreign key and must not wait for a batch.
 */
export async function lockCampaign(db: Tx, campaignId: number): Promise<CampaignRow | undefined> {
  // reads campaigns (owned by campaigns): moves at merge
  const [campaign] = await db
    .select()
    .from(campaigns)
    .where(eq(campaigns.id, campaignId))
    .for('no key update');
  return campaign;
}

export async function campaignById(db: Tx, campaignId: number): Promise<CampaignRow | undefined> {
  // reads campaigns (owned by campaigns): moves at merge
  const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
  return campaign;
}

export async function campaignExists(db: Tx, campaignId: number): Promise<boolean> {
  // reads campaigns (owned by campaigns): moves at merge
  const [campaign] = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId));
  return campaign !== undefined;
}

/** The ids of open campaigns that make batches by themselves (a threshold or a daily time), in id order. */
export async function campaignsBatchingByThemselves(db: Tx): Promise<number[]> {
  // reads campaigns (owned by campaigns): moves at merge
  const rows = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(
      and(
        eq(campaigns.status, 'open'),
        sql`(${campaigns.batchDailyAt} IS NOT NULL OR ${campaigns.batchThreshold} IS NOT NULL)`,
      ),
    )
    .orderBy(campaigns.id);
  return rows.map((row) => row.id);
}

/** A campaign's targets in their order. */
export function targetsOfCampaign(db: Tx, campaignId: number): Promise<TargetRow[]> {
  // reads targets (owned by campaigns): moves at merge
  return db
    .select()
    .from(targets)
    .where(eq(targets.campaignId, campaignId))
    .orderBy(asc(targets.position), asc(targets.id));
}

export async function targetById(db: Tx, targetId: number): Promise<TargetRow | undefined> {
  // reads targets (owned by campaigns): moves at merge
  const [target] = await db.select().from(targets).where(eq(targets.id, targetId));
  return target;
}

/** One target of a campaign; undefined when the target is another campaign's. */
export async function targetOfCampaign(
  db: Tx,
  campaignId: number,
  targetId: number,
): Promise<TargetRow | undefined> {
  // reads targets (owned by campaigns): moves at merge
  const [target] = await db
    .select()
    .from(targets)
    .where(and(eq(targets.id, targetId), eq(targets.campaignId, campaignId)));
  return target;
}

/** Valid signatures of a campaign that no batch has claimed yet. */
const waiting = (campaignId: number) =>
  and(eq(signatures.campaignId, campaignId), eq(signatures.status, 'valid'), isNull(signatures.batchId));

export async function countWaitingSignatures(db: Tx, campaignId: number): Promise<number> {
  // reads signatures (owned by campaigns): moves at merge
  const [row] = await db.select({ n: count() }).from(signatures).where(waiting(campaignId));
  return row?.n ?? 0;
}

/** Claims every waiting signature of a campaign into a batch; returns how many. */
export async function claimWaitingSignatures(db: Tx, campaignId: number, batchId: number): Promise<number> {
  // writes signatures (owned by campaigns): moves at merge
  const result = await db.update(signatures).set({ batchId }).where(waiting(campaignId));
  return result.rowCount ?? 0;
}

/**
 * The names of a campaign's valid signatures in signing order (null where erased): only those waiting
 * for a batch, or every one.
 */
export async function signatureNames(
  db: Tx,
  campaignId: number,
  { onlyWaiting }: { onlyWaiting: boolean },
): Promise<Array<string | null>> {
  // reads signatures (owned by campaigns): moves at merge
  const rows = await db
    .select({ name: signatures.name })
    .from(signatures)
    .where(
      onlyWaiting
        ? waiting(campaignId)
        : and(eq(signatures.campaignId, campaignId), eq(signatures.status, 'valid')),
    )
    .orderBy(asc(signatures.id));
  return rows.map((row) => row.name);
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
  // reads signatures (owned by campaigns): moves at merge
  await tx.execute(
    sql`DECLARE batch_names NO SCROLL CURSOR FOR SELECT name FROM signatures WHERE batch_id = ${batchId} ORDER BY id`,
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
  // reads signatures (owned by campaigns): moves at merge
  const { rows } = await db.execute<{ place: number; id: number }>(sql`
    SELECT place::int, id FROM (
      SELECT id, row_number() OVER (ORDER BY id) - 1 AS place FROM signatures WHERE batch_id = ${batchId}
    ) numbered
    WHERE place = ANY(${`{${places.join(',')}}`}::bigint[])`);
  return new Map(rows.map((row) => [row.place, row.id]));
}

/** Up to `limit` names of a batch after the signature `afterId`, in signing order, with their ids. */
export function batchNamesAfter(
  db: Tx,
  batchId: number,
  afterId: number,
  limit: number,
): Promise<Array<{ id: number; name: string | null }>> {
  // reads signatures (owned by campaigns): moves at merge
  return db
    .select({ id: signatures.id, name: signatures.name })
    .from(signatures)
    .where(and(eq(signatures.batchId, batchId), gt(signatures.id, afterId)))
    .orderBy(asc(signatures.id))
    .limit(limit);
}
