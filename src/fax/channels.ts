import { randomBytes } from 'node:crypto';
import { targetById } from '../campaigns/repository.js';
import type { Config } from '../config.js';
import type { Tx } from '../db/client.js';
import type { FaxDeliveryRow, FaxDeliveryStatus } from '../db/rows.js';
import { enqueue } from '../queue/outbox.repository.js';
import * as batchesRepository from './batches.repository.js';
import * as deliveriesRepository from './deliveries.repository.js';

/** A target has received a part when one of its channels delivered it (or wrote it, in a dry run). */
const RECEIVED: readonly FaxDeliveryStatus[] = ['delivered', 'written'];
/** Still to be decided: by a worker, or by staff (uncertain; blocked until what blocks it is fixed). */
const LIVE: readonly FaxDeliveryStatus[] = ['pending', 'waiting', 'sending', 'uncertain', 'blocked'];

/** Whether a sender may take a delivery up now: rendered, and waiting or blocked (tried again). */
export const readyToSend = (delivery: FaxDeliveryRow): boolean =>
  (delivery.status === 'waiting' || delivery.status === 'blocked') && delivery.documentPath !== null;

/**
 * What both channels' state machines share: trying a delivery again later, and what follows when a
 * delivery ends (the e-mail fallback of a target whose fax is failing, staff told when a target finally
 * did not receive a part, and the batch settled once every part of every target is received or finally
 * failed).
 */
export function createChannels({ config }: { config: Config }) {
  /**
   * Once every part of every target is received or finally failed, a batch is delivered (every part
   * reached a machine or a mailbox), written (every part received, some only in a dry run), failed or
   * partly failed.
   */
  async function settleBatch(tx: Tx, batchId: number, now: Date): Promise<void> {
    // Deliveries of one batch finishing at once take turns here; each then reads the others' commits.
    await batchesRepository.lockBatch(tx, batchId, { skipLocked: false });
    const rows = await deliveriesRepository.deliveryStatusesOfBatch(tx, batchId);
    const parts = new Map<string, FaxDeliveryStatus[]>();
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
    await batchesRepository.completeBatch(tx, batchId, status, now);
  }

  /**
   * Adds the e-mail delivery of a fax delivery's part, to be rendered and sent, when its target has an
   * address and takes e-mail after fax; at most once a part (the unique key). True when it was added.
   */
  async function startEmailFallback(tx: Tx, fax: FaxDeliveryRow): Promise<boolean> {
    const target = await targetById(tx, fax.targetId);
    const address = target?.emails[0];
    if (target?.channel !== 'fax-then-email' || address === undefined) return false;
    const added = await deliveriesRepository.insertDeliveryOnce(tx, {
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
    });
    if (!added) return false;
    await enqueue(tx, 'fax-render', 'render-batch', { batchId: fax.batchId });
    return true;
  }

  /**
   * A fax attempt failed and will be tried again: within FAX_EMAIL_FALLBACK_HOURS of the campaign's
   * deadline, e-mail is tried as well, though the target takes e-mail only after fax.
   */
  async function faxFailing(tx: Tx, fax: FaxDeliveryRow, now: Date): Promise<void> {
    const closesAt = await batchesRepository.closingOfBatchCampaign(tx, fax.batchId);
    if (!closesAt) return;
    if (now.getTime() >= closesAt.getTime() - config.mail.fallbackHours * 3_600_000) {
      await startEmailFallback(tx, fax);
    }
  }

  /** Records why a delivery waits (`fields`) and queues its next send for `retryAt`. */
  async function tryAgainAt(
    tx: Tx,
    deliveryId: number,
    fields: Partial<FaxDeliveryRow>,
    retryAt: Date,
  ): Promise<void> {
    await deliveriesRepository.updateDelivery(tx, deliveryId, fields);
    await enqueue(tx, 'fax-deliver', 'send-delivery', { deliveryId }, retryAt);
  }

  /**
   * Records how a delivery ended (`fields` carry its final status) and follows on: a fax that failed
   * passes the part to e-mail where the target takes it; a part no channel can still deliver is told to
   * staff; the batch is settled.
   */
  async function finish(
    tx: Tx,
    delivery: FaxDeliveryRow,
    fields: Partial<FaxDeliveryRow>,
    now: Date,
  ): Promise<void> {
    await deliveriesRepository.updateDelivery(tx, delivery.id, {
      ...fields,
      nextAttemptAt: null,
      completedAt: now,
      updatedAt: now,
    });
    if (fields.status === 'failed') {
      const handedOn = delivery.channel === 'fax' && (await startEmailFallback(tx, delivery));
      if (!handedOn) {
        const others = await deliveriesRepository.countDeliveriesOfPart(tx, delivery, [...RECEIVED, ...LIVE]);
        if (others === 0) {
          await enqueue(tx, 'fax-deliver', 'notify-failure', { deliveryId: delivery.id });
        }
      }
    }
    await settleBatch(tx, delivery.batchId, now);
  }

  return { finish, faxFailing, settleBatch, tryAgainAt };
}

export type Channels = ReturnType<typeof createChannels>;
