/**
 * Every query of fax_batches. Two join the batch to its campaign (the campaigns room's table) in one
 * statement; the campaigns room's own reads and writes are in its repositories.
 */
import { and, desc, eq, gte, inArray, isNull, lt } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import type { CampaignRow, FaxBatchRow, FaxBatchStatus } from '../db/rows.js';
import { campaigns, faxBatches } from '../db/schema.js';

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
  // Joins campaigns (campaigns room): the batch and its campaign in one statement.
  const [row] = await db
    .select({ batch: faxBatches, campaign: campaigns })
    .from(faxBatches)
    .innerJoin(campaigns, eq(campaigns.id, faxBatches.campaignId))
    .where(eq(faxBatches.id, batchId));
  return row;
}

/** When the campaign of a batch closes; null when it has no deadline or the batch does not exist. */
export async function closingOfBatchCampaign(db: Tx, batchId: number): Promise<Date | null> {
  // Joins campaigns (campaigns room): one statement on the delivery's transaction, from the batch id alone.
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

/** The ids of the campaign's latest batches, newest first. */
export async function latestBatchIds(db: Tx, campaignId: number, limit: number): Promise<number[]> {
  const rows = await db
    .select({ id: faxBatches.id })
    .from(faxBatches)
    .where(eq(faxBatches.campaignId, campaignId))
    .orderBy(desc(faxBatches.id))
    .limit(limit);
  return rows.map((row) => row.id);
}

/** A batch as the campaigns dashboard shows it. */
export type BatchSummary = Pick<
  FaxBatchRow,
  'campaignId' | 'id' | 'status' | 'signatureCount' | 'createdAt' | 'completedAt'
>;

/** The newest batch of each of these campaigns that has one. */
export async function latestBatchOfEach(db: Db, campaignIds: number[]): Promise<BatchSummary[]> {
  if (campaignIds.length === 0) return [];
  return db
    .selectDistinctOn([faxBatches.campaignId], {
      campaignId: faxBatches.campaignId,
      id: faxBatches.id,
      status: faxBatches.status,
      signatureCount: faxBatches.signatureCount,
      createdAt: faxBatches.createdAt,
      completedAt: faxBatches.completedAt,
    })
    .from(faxBatches)
    .where(inArray(faxBatches.campaignId, campaignIds))
    .orderBy(faxBatches.campaignId, desc(faxBatches.id));
}

/** Whether the campaign has any batch. */
export async function campaignHasBatch(db: Tx, campaignId: number): Promise<boolean> {
  const [batch] = await db
    .select({ id: faxBatches.id })
    .from(faxBatches)
    .where(eq(faxBatches.campaignId, campaignId))
    .limit(1);
  return batch !== undefined;
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
