import { randomBytes } from 'node:crypto';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { Tx } from '../db/client.js';
import { campaigns, faxBatches, faxDeliveries, targets } from '../db/schema.js';
import { enqueue } from '../queue/outbox.repository.js';

type Delivery = typeof faxDeliveries.$inferSelect;
type DeliveryStatus = Delivery['status'];

/** A target has received a part when one of its channels delivered it (or wrote it, in a dry run). */
const RECEIVED: readonly DeliveryStatus[] = ['delivered', 'written'];
/** Still to be decided: by a worker, or by staff (uncertain; blocked until what blocks it is fixed). */
const LIVE: readonly DeliveryStatus[] = ['pending', 'waiting', 'sending', 'uncertain', 'blocked'];

/**
 * A delivery locked for its channel's state machine, with its batch, campaign and target; null when it
 * does not exist, or (with `skipLocked`) when another run holds it.
 */
export async function lockDeliveryRow(tx: Tx, deliveryId: number, skipLocked: boolean) {
  const [row] = await tx
    .select({ delivery: faxDeliveries, campaign: campaigns, target: targets, batch: faxBatches })
    .from(faxDeliveries)
    .innerJoin(faxBatches, eq(faxBatches.id, faxDeliveries.batchId))
    .innerJoin(campaigns, eq(campaigns.id, faxBatches.campaignId))
    .innerJoin(targets, eq(targets.id, faxDeliveries.targetId))
    .where(eq(faxDeliveries.id, deliveryId))
    .for('update', skipLocked ? { of: faxDeliveries, skipLocked: true } : { of: faxDeliveries });
  return row ?? null;
}

/**
 * What follows when a delivery by one channel ends, for both channels alike: the e-mail fallback of a
 * target whose fax is failing, staff told when a target finally did not receive a part, and the batch
 * settled once every part of every target is received or finally failed.
 */
export function createChannels({ config }: { config: Config }) {
  /**
   * Once every part of every target is received or finally failed, a batch is delivered (every part
   * reached a machine or a mailbox), written (every part received, some only in a dry run), failed or
   * partly failed.
   */
  async function settleBatch(tx: Tx, batchId: number, now: Date): Promise<void> {
    // Deliveries of one batch finishing at once take turns here; each then reads the others' commits.
    await tx
      .select({ id: faxBatches.id })
      .from(faxBatches)
      .where(eq(faxBatches.id, batchId))
      .for('no key update');
    const rows = await tx
      .select({ targetId: faxDeliveries.targetId, part: faxDeliveries.part, status: faxDeliveries.status })
      .from(faxDeliveries)
      .where(eq(faxDeliveries.batchId, batchId));
    const parts = new Map<string, DeliveryStatus[]>();
    for (const row of rows) {
      const key = `${row.targetId}:${row.part}`;
      parts.set(key, [...(parts.get(key) ?? []), row.status]);
    }
    const received = [...parts.values()].filter((statuses) => statuses.some((s) => RECEIVED.includes(s)));
    const open = [...parts.values()].some(
      (statuses) => !statuses.some((s) => RECEIVED.includes(s)) && statuses.some((s) => LIVE.includes(s)),
    );
    if (open) return;
    const onlyWritten = received.some((statuses) => !statuses.includes('delivered'));
    const status =
      received.length === 0
        ? 'failed'
        : received.length < parts.size
          ? 'partly_failed'
          : onlyWritten
            ? 'written'
            : 'delivered';
    await tx
      .update(faxBatches)
      .set({ status, completedAt: now })
      .where(and(eq(faxBatches.id, batchId), isNull(faxBatches.completedAt)));
  }

  /**
   * Adds the e-mail delivery of a fax delivery's part, to be rendered and sent, when its target has an
   * address and takes e-mail after fax; at most once a part (the unique key). True when it was added.
   */
  async function startEmailFallback(tx: Tx, fax: Delivery): Promise<boolean> {
    const [target] = await tx.select().from(targets).where(eq(targets.id, fax.targetId));
    const address = target?.emails[0];
    if (target?.channel !== 'fax-then-email' || address === undefined) return false;
    const [added] = await tx
      .insert(faxDeliveries)
      .values({
        batchId: fax.batchId,
        targetId: fax.targetId,
        part: fax.part,
        parts: fax.parts,
        firstName: fax.firstName,
        nameCount: fax.nameCount,
        pages: fax.pages,
        channel: 'email',
        emailAddress: address,
        callbackToken: randomBytes(32).toString('base64url'),
      })
      .onConflictDoNothing()
      .returning({ id: faxDeliveries.id });
    if (!added) return false;
    await enqueue(tx, 'fax-render', 'render-batch', { batchId: fax.batchId });
    return true;
  }

  /**
   * A fax attempt failed and will be tried again: within FAX_EMAIL_FALLBACK_HOURS of the campaign's
   * deadline, e-mail is tried as well, though the target takes e-mail only after fax.
   */
  async function faxFailing(tx: Tx, fax: Delivery, now: Date): Promise<void> {
    const [campaign] = await tx
      .select({ closesAt: campaigns.closesAt })
      .from(faxBatches)
      .innerJoin(campaigns, eq(campaigns.id, faxBatches.campaignId))
      .where(eq(faxBatches.id, fax.batchId));
    const closesAt = campaign?.closesAt;
    if (!closesAt) return;
    if (now.getTime() >= closesAt.getTime() - config.mail.fallbackHours * 3_600_000) {
      await startEmailFallback(tx, fax);
    }
  }

  /**
   * Records how a delivery ended (`fields` carry its final status) and follows on: a fax that failed
   * passes the part to e-mail where the target takes it; a part no channel can still deliver is told to
   * staff; the batch is settled.
   */
  async function finish(tx: Tx, delivery: Delivery, fields: Partial<Delivery>, now: Date): Promise<void> {
    await tx
      .update(faxDeliveries)
      .set({ ...fields, nextAttemptAt: null, completedAt: now, updatedAt: now })
      .where(eq(faxDeliveries.id, delivery.id));
    if (fields.status === 'failed') {
      const handedOn = delivery.channel === 'fax' && (await startEmailFallback(tx, delivery));
      if (!handedOn) {
        const others = await tx
          .select({ status: faxDeliveries.status })
          .from(faxDeliveries)
          .where(
            and(
              eq(faxDeliveries.batchId, delivery.batchId),
              eq(faxDeliveries.targetId, delivery.targetId),
              eq(faxDeliveries.part, delivery.part),
              inArray(faxDeliveries.status, [...RECEIVED, ...LIVE]),
            ),
          );
        if (others.length === 0) {
          await enqueue(tx, 'fax-deliver', 'notify-failure', { deliveryId: delivery.id });
        }
      }
    }
    await settleBatch(tx, delivery.batchId, now);
  }

  return { finish, faxFailing, settleBatch };
}

export type Channels = ReturnType<typeof createChannels>;
