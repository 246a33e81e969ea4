import type { Db } from '../db/client.js';
import type { FaxDeliveryRow } from '../db/rows.js';
import { pendingBatchesMadeBefore } from './batches.repository.js';
import { unfinishedDeliveries } from './deliveries.repository.js';
import type { DeliveryTiming } from './timing.js';

/** The ways fax work can be stuck, as the gauge `pp_stuck_items{kind}` and the console name them. */
export const FAX_STUCK_KINDS = [
  'fax-batch-unrendered',
  'fax-part-unrendered',
  'fax-send-overdue',
  'fax-submission-interrupted',
  'fax-poll-overdue',
  'email-send-overdue',
  'email-send-interrupted',
  'email-uncertain',
  'fax-blocked',
  'email-blocked',
] as const;
export type FaxStuckKind = (typeof FAX_STUCK_KINDS)[number];

/** One batch or delivery that has not moved on when it should have. */
export interface FaxStuckItem {
  kind: FaxStuckKind;
  /** Absent when the batch as a whole is stuck. */
  deliveryId?: number;
  batchId: number;
  campaignId: number;
  /** Since when it has been waiting for the step it missed. */
  since: Date;
  /** For staff. */
  reason: string;
}

const REASONS: Record<FaxStuckKind, string> = {
  'fax-batch-unrendered': "The batch's documents have not been rendered.",
  'fax-part-unrendered': "This part's document (new, or to be sent again whole) has not been rendered.",
  'fax-send-overdue': 'This part was due to be sent and has not been.',
  'fax-submission-interrupted':
    'A submission to the provider was interrupted; ' +
    'the provider is asked about it before anything is sent again.',
  'fax-poll-overdue':
    'The provider has not been asked how this fax is going for longer than it should have been.',
  'email-send-overdue': 'This part was due to be e-mailed and has not been.',
  'email-send-interrupted':
    'An e-mail send was interrupted; it is marked uncertain for staff, never sent again blindly.',
  'email-uncertain':
    'An e-mail send was cut off after its data began, with no reply: the server may have it. ' +
    'Resend it (same Message-ID) once checked.',
  'fax-blocked':
    'The fax provider refused this part for a reason of the account or the document, not the number; ' +
    'it is tried again hourly until fixed.',
  'email-blocked':
    'The mail server refused our sender (login or MAIL FROM), not the recipient; ' +
    'it is tried again hourly until fixed.',
};

type DeliveryRow = Pick<
  FaxDeliveryRow,
  'channel' | 'status' | 'providerFaxId' | 'updatedAt' | 'nextAttemptAt' | 'submittedAt' | 'polledAt'
>;

/**
 * Whether a delivery of a batch already rendered is stuck at `now`, and since when; null when it is
 * where its state allows it to be. An uncertain e-mail waits for staff from the start. Pure: the sender
 * asks it again of the locked row before acting.
 */
export function stuckDelivery(
  delivery: DeliveryRow,
  now: Date,
  { stuckAfterMs, pollEveryMs }: Pick<DeliveryTiming, 'stuckAfterMs' | 'pollEveryMs'>,
): { kind: Exclude<FaxStuckKind, 'fax-batch-unrendered'>; since: Date } | null {
  const behind = (since: Date, allowedMs: number) => now.getTime() - since.getTime() > allowedMs;
  switch (delivery.status) {
    case 'pending':
      return behind(delivery.updatedAt, stuckAfterMs)
        ? { kind: 'fax-part-unrendered', since: delivery.updatedAt }
        : null;
    case 'waiting': {
      const due = delivery.nextAttemptAt ?? delivery.updatedAt;
      const kind = delivery.channel === 'email' ? 'email-send-overdue' : 'fax-send-overdue';
      return behind(due, stuckAfterMs) ? { kind, since: due } : null;
    }
    case 'uncertain':
      return { kind: 'email-uncertain', since: delivery.updatedAt };
    // Staff must fix what blocks it: shown from the start, whenever it is next tried.
    case 'blocked':
      return {
        kind: delivery.channel === 'email' ? 'email-blocked' : 'fax-blocked',
        since: delivery.updatedAt,
      };
    case 'sending': {
      if (delivery.channel === 'email') {
        // A send holds the row for one SMTP session at most; nothing else leaves an e-mail sending.
        return behind(delivery.updatedAt, stuckAfterMs)
          ? { kind: 'email-send-interrupted', since: delivery.submittedAt ?? delivery.updatedAt }
          : null;
      }
      if (delivery.providerFaxId === null) {
        // A submission holds the row, recorded before and after the provider's answer, for one request at
        // most.
        return behind(delivery.updatedAt, stuckAfterMs)
          ? { kind: 'fax-submission-interrupted', since: delivery.submittedAt ?? delivery.updatedAt }
          : null;
      }
      const asked = delivery.polledAt ?? delivery.submittedAt ?? delivery.updatedAt;
      return behind(asked, pollEveryMs + stuckAfterMs) ? { kind: 'fax-poll-overdue', since: asked } : null;
    }
    default:
      return null;
  }
}

/** A stuck item with when it was last driven on, which the sender needs and staff do not. */
export type FoundStuck = FaxStuckItem & { nudgedAt: Date | null };

/**
 * Every batch and delivery stuck at `now`, oldest first. Unfinished deliveries are few at any time
 * (targets × parts of the batches under way), so each is judged here rather than in SQL.
 */
export async function findStuck(
  db: Db,
  now: Date,
  timing: Pick<DeliveryTiming, 'stuckAfterMs' | 'pollEveryMs'>,
): Promise<FoundStuck[]> {
  const batches = await pendingBatchesMadeBefore(db, new Date(now.getTime() - timing.stuckAfterMs));
  const deliveries = await unfinishedDeliveries(db);
  const found: FoundStuck[] = batches.map((batch) => ({
    kind: 'fax-batch-unrendered',
    batchId: batch.id,
    campaignId: batch.campaignId,
    since: batch.createdAt,
    reason: REASONS['fax-batch-unrendered'],
    nudgedAt: batch.nudgedAt,
  }));
  for (const { delivery, campaignId } of deliveries) {
    const stuck = stuckDelivery(delivery, now, timing);
    if (!stuck) continue;
    found.push({
      ...stuck,
      deliveryId: delivery.id,
      batchId: delivery.batchId,
      campaignId,
      // The provider's or server's reason, which names no person: what staff must fix.
      reason:
        delivery.status === 'blocked' && delivery.lastError
          ? `${REASONS[stuck.kind]} Reason: ${delivery.lastError}`
          : REASONS[stuck.kind],
      nudgedAt: delivery.nudgedAt,
    });
  }
  return found.sort((a, b) => a.since.getTime() - b.since.getTime());
}

/** The public shape of an item: what staff and the gauge see. */
export function stuckItem({ nudgedAt: _, ...item }: FoundStuck): FaxStuckItem {
  return item;
}

export function countByKind(items: readonly FaxStuckItem[]): Record<FaxStuckKind, number> {
  const counts = Object.fromEntries(FAX_STUCK_KINDS.map((kind) => [kind, 0])) as Record<FaxStuckKind, number>;
  for (const item of items) counts[item.kind]++;
  return counts;
}
