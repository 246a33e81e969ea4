/**
 * Every query of fax_deliveries: one row per part of a batch sent to one target by one channel. The
 * senders, staff's actions and the receipts call these inside the transactions they open. Three join
 * the campaigns room's tables (campaigns, targets), each saying why.
 */
import { and, asc, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { CampaignRow, FaxBatchRow, FaxDeliveryRow, FaxDeliveryStatus, TargetRow } from '../db/rows.js';
import { campaigns, faxBatches, faxDeliveries, targets } from '../db/schema.js';

export type NewFaxDelivery = typeof faxDeliveries.$inferInsert;

/** A delivery with the batch, campaign and target its channel's state machine reads. */
export interface DeliveryInContext {
  delivery: FaxDeliveryRow;
  batch: FaxBatchRow;
  campaign: CampaignRow;
  target: TargetRow;
}

/** A delivery with the target it goes to. */
export interface DeliveryToTarget {
  delivery: FaxDeliveryRow;
  target: TargetRow;
}

/** One part of a batch for one target, by any channel. */
export type PartOfBatch = Pick<FaxDeliveryRow, 'batchId' | 'targetId' | 'part'>;

/**
 * A delivery with its batch, campaign and target; null when it does not exist. `lock`: `wait` takes the
 * delivery's row lock (only that row's), `skip` returns null when another run holds it.
 */
export async function deliveryInContext(
  db: Tx,
  deliveryId: number,
  lock: 'none' | 'wait' | 'skip',
): Promise<DeliveryInContext | null> {
  // Joins campaigns and targets (campaigns room): the row lock and the context it decides on in one
  // statement.
  const query = db
    .select({ delivery: faxDeliveries, batch: faxBatches, campaign: campaigns, target: targets })
    .from(faxDeliveries)
    .innerJoin(faxBatches, eq(faxBatches.id, faxDeliveries.batchId))
    .innerJoin(campaigns, eq(campaigns.id, faxBatches.campaignId))
    .innerJoin(targets, eq(targets.id, faxDeliveries.targetId))
    .where(eq(faxDeliveries.id, deliveryId));
  const [row] =
    lock === 'none'
      ? await query
      : await query.for(
          'update',
          lock === 'skip' ? { of: faxDeliveries, skipLocked: true } : { of: faxDeliveries },
        );
  return row ?? null;
}

export async function deliveryById(db: Tx, deliveryId: number): Promise<FaxDeliveryRow | undefined> {
  const [delivery] = await db.select().from(faxDeliveries).where(eq(faxDeliveries.id, deliveryId));
  return delivery;
}

export async function deliveryChannel(
  db: Tx,
  deliveryId: number,
): Promise<FaxDeliveryRow['channel'] | undefined> {
  const [row] = await db
    .select({ channel: faxDeliveries.channel })
    .from(faxDeliveries)
    .where(eq(faxDeliveries.id, deliveryId));
  return row?.channel;
}

export async function deliveryByCallbackToken(
  db: Tx,
  token: string,
): Promise<Pick<FaxDeliveryRow, 'id' | 'provider' | 'status'> | undefined> {
  const [delivery] = await db
    .select({ id: faxDeliveries.id, provider: faxDeliveries.provider, status: faxDeliveries.status })
    .from(faxDeliveries)
    .where(eq(faxDeliveries.callbackToken, token));
  return delivery;
}

/** A delivery of one part to one target, whichever of its channels the table gives first. */
export async function deliveryOfPart(db: Tx, part: PartOfBatch): Promise<FaxDeliveryRow | undefined> {
  const [delivery] = await deliveriesOfPart(db, part);
  return delivery;
}

/** Every channel's delivery of one part to one target. */
export function deliveriesOfPart(
  db: Tx,
  { batchId, targetId, part }: PartOfBatch,
): Promise<FaxDeliveryRow[]> {
  return db
    .select()
    .from(faxDeliveries)
    .where(
      and(
        eq(faxDeliveries.batchId, batchId),
        eq(faxDeliveries.targetId, targetId),
        eq(faxDeliveries.part, part),
      ),
    );
}

/** How many deliveries of one part are in one of `statuses`. */
export async function countDeliveriesOfPart(
  db: Tx,
  { batchId, targetId, part }: PartOfBatch,
  statuses: readonly FaxDeliveryStatus[],
): Promise<number> {
  const rows = await db
    .select({ status: faxDeliveries.status })
    .from(faxDeliveries)
    .where(
      and(
        eq(faxDeliveries.batchId, batchId),
        eq(faxDeliveries.targetId, targetId),
        eq(faxDeliveries.part, part),
        inArray(faxDeliveries.status, [...statuses]),
      ),
    );
  return rows.length;
}

/** A batch's deliveries with their targets, in the targets' order, then by part and channel. */
export function deliveriesOfBatch(db: Tx, batchId: number): Promise<DeliveryToTarget[]> {
  // Joins targets (campaigns room): each delivery with its target, in the targets' order, in one statement.
  return db
    .select({ delivery: faxDeliveries, target: targets })
    .from(faxDeliveries)
    .innerJoin(targets, eq(targets.id, faxDeliveries.targetId))
    .where(eq(faxDeliveries.batchId, batchId))
    .orderBy(asc(targets.position), asc(targets.id), asc(faxDeliveries.part), asc(faxDeliveries.channel));
}

/**
 * Every delivery of a campaign's latest `batches` batches, with its target, by batch: what the public
 * page of an action shows.
 */
export function deliveriesOfLatestBatches(
  db: Tx,
  campaignId: number,
  batches: number,
): Promise<DeliveryToTarget[]> {
  // Joins targets (campaigns room): one query however many batches, for a page the public may flood.
  return db
    .select({ delivery: faxDeliveries, target: targets })
    .from(faxDeliveries)
    .innerJoin(targets, eq(targets.id, faxDeliveries.targetId))
    .where(
      inArray(
        faxDeliveries.batchId,
        db
          .select({ id: faxBatches.id })
          .from(faxBatches)
          .where(eq(faxBatches.campaignId, campaignId))
          .orderBy(desc(faxBatches.id))
          .limit(batches),
      ),
    )
    .orderBy(asc(faxDeliveries.batchId));
}

/** The status of every part of a batch for every target, by channel. */
export function deliveryStatusesOfBatch(
  db: Tx,
  batchId: number,
): Promise<Array<Pick<FaxDeliveryRow, 'targetId' | 'part' | 'status'>>> {
  return db
    .select({ targetId: faxDeliveries.targetId, part: faxDeliveries.part, status: faxDeliveries.status })
    .from(faxDeliveries)
    .where(eq(faxDeliveries.batchId, batchId));
}

/** A batch's deliveries still to be rendered, in the order they were planned. */
export function pendingDeliveriesOfBatch(db: Tx, batchId: number): Promise<FaxDeliveryRow[]> {
  return db
    .select()
    .from(faxDeliveries)
    .where(and(eq(faxDeliveries.batchId, batchId), eq(faxDeliveries.status, 'pending')))
    .orderBy(asc(faxDeliveries.id));
}

/**
 * Deliveries not finished of batches already rendered (a batch never rendered is one stuck item, not one
 * per part), with their campaign, in id order.
 */
export function unfinishedDeliveries(
  db: Tx,
): Promise<Array<{ delivery: FaxDeliveryRow; campaignId: number }>> {
  return db
    .select({ delivery: faxDeliveries, campaignId: faxBatches.campaignId })
    .from(faxDeliveries)
    .innerJoin(faxBatches, eq(faxBatches.id, faxDeliveries.batchId))
    .where(
      and(
        inArray(faxDeliveries.status, ['pending', 'waiting', 'sending', 'uncertain', 'blocked']),
        ne(faxBatches.status, 'pending'),
      ),
    )
    .orderBy(asc(faxDeliveries.id));
}

/** Deliveries changed since `since` (a Postgres interval back from now), counted by status and channel. */
export async function countRecentDeliveries(
  db: Tx,
  since: string,
): Promise<Array<{ status: string; channel: string; n: number }>> {
  const { rows } = await db.execute<{ status: string; channel: string; n: number }>(sql`
    SELECT status::text AS status, channel::text AS channel, count(*)::int AS n
    FROM fax_deliveries WHERE updated_at > now() - ${since}::interval
    GROUP BY 1, 2`);
  return rows;
}

export async function insertDeliveries(db: Tx, deliveries: NewFaxDelivery[]): Promise<void> {
  await db.insert(faxDeliveries).values(deliveries);
}

/** Inserts a delivery unless its part already has one by its channel; true when it was inserted. */
export async function insertDeliveryOnce(db: Tx, delivery: NewFaxDelivery): Promise<boolean> {
  const [added] = await db
    .insert(faxDeliveries)
    .values(delivery)
    .onConflictDoNothing()
    .returning({ id: faxDeliveries.id });
  return added !== undefined;
}

export async function updateDelivery(
  db: Tx,
  deliveryId: number,
  fields: Partial<FaxDeliveryRow>,
): Promise<void> {
  await db.update(faxDeliveries).set(fields).where(eq(faxDeliveries.id, deliveryId));
}

/**
 * Moves a delivery to sending through `provider`; `newAttempt` counts an attempt (on the delivery and on
 * its current number or address) submitted at `now`, else the interrupted attempt is taken up again.
 */
export async function markSending(
  db: Tx,
  deliveryId: number,
  { provider, now, newAttempt }: { provider: string; now: Date; newAttempt: boolean },
): Promise<void> {
  await db
    .update(faxDeliveries)
    .set({
      status: 'sending',
      ...(newAttempt
        ? {
            attempts: sql`${faxDeliveries.attempts} + 1`,
            numberAttempts: sql`${faxDeliveries.numberAttempts} + 1`,
            submittedAt: now,
          }
        : {}),
      provider,
      nextAttemptAt: null,
      updatedAt: now,
    })
    .where(eq(faxDeliveries.id, deliveryId));
}

/** Records a pending delivery's rendered document, making it waiting; false when it was not pending. */
export async function markRendered(
  db: Tx,
  deliveryId: number,
  { documentPath, documentSha256, now }: { documentPath: string; documentSha256: string; now: Date },
): Promise<boolean> {
  const [ready] = await db
    .update(faxDeliveries)
    .set({ documentPath, documentSha256, status: 'waiting', updatedAt: now })
    .where(and(eq(faxDeliveries.id, deliveryId), eq(faxDeliveries.status, 'pending')))
    .returning({ id: faxDeliveries.id });
  return ready !== undefined;
}
