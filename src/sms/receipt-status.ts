import type { Database } from '../db/client.js';
import { type DeliveryFact, labelText, RECEIVED_STATUSES, targetReceipts } from '../receipt.js';
import type { HoldReason } from '../supporters/names.js';
import { receiptDeliveries, receiptSignature } from './inbound.repository.js';
import type { ReceiptState } from './replies.js';

/**
 * Where a signer's name is, for RECEIPT: their signature on the campaign named (else their latest),
 * and, once faxed, each target's delivery of the part that carries the name. The fax tables are read
 * by the inbound repository's own statements (its documented exception: fax/ stands above sms/).
 */
export function createReceiptLookup(database: Database) {
  return async function receiptState(
    phoneIndex: string,
    campaignId: number | null,
    keyword: string | null,
  ): Promise<ReceiptState> {
    const signature = await receiptSignature(database, phoneIndex, campaignId);
    if (!signature) return { kind: 'none', keyword };
    const k = signature.keyword;
    if (signature.status === 'held') return { kind: 'held', keyword: k };
    if (signature.status === 'hidden') {
      // The hold reason the moderator confirmed by hiding the name, if it was held.
      return { kind: 'not-faxed', keyword: k, reason: signature.hold_reason as HoldReason | 'staff' | null };
    }
    if (signature.status === 'late') return { kind: 'late', keyword: k };
    if (signature.batch_id === null) return { kind: 'waiting', keyword: k };
    const deliveries = await receiptDeliveries(database, signature.batch_id, signature.rank ?? 0);
    // The part carrying the name, whatever its number for each target, counts as that target's whole.
    const facts: DeliveryFact[] = deliveries.map(({ completedAt, ...delivery }) => ({
      ...delivery,
      part: 1,
      parts: 1,
      receivedAt: RECEIVED_STATUSES.includes(delivery.status) ? completedAt : null,
    }));
    const targets = targetReceipts(facts);
    const received = targets.flatMap((target) => (target.receipt ? [target.receipt] : []));
    const waiting = targets.filter((target) => !target.receipt).map((target) => labelText(target.label));
    return waiting.length === 0 && received.length > 0
      ? { kind: 'delivered', keyword: k, received, waiting }
      : { kind: 'sending', keyword: k, received, waiting };
  };
}
