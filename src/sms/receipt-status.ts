import type { Database } from '../db/client.js';
import { type DeliveryFact, labelText, RECEIVED_STATUSES, targetReceipts } from '../receipt.js';
import type { HoldReason } from '../supporters/names.js';
import type { ReceiptState } from './replies.js';

/**
 * Where a signer's name is, for RECEIPT: their signature on the campaign named (else their latest),
 * and, once faxed, each target's delivery of the part that carries the name. sms/ reads the fax
 * tables through this query of its own (schema only: fax/ stands above it).
 */
const SIGNATURE = `
  SELECT g.id, g.status, g.batch_id, g.hold_reason, upper(c.keyword) AS keyword,
         CASE WHEN g.batch_id IS NULL THEN NULL ELSE
           (SELECT count(*)::int FROM signatures o WHERE o.batch_id = g.batch_id AND o.id < g.id) END AS rank
    FROM supporters p
    JOIN signatures g ON g.supporter_id = p.id
    JOIN campaigns c ON c.id = g.campaign_id
   WHERE p.phone_index = $1 AND ($2::bigint IS NULL OR g.campaign_id = $2::bigint)
   ORDER BY g.signed_at DESC, g.id DESC
   LIMIT 1`;

/** The deliveries of the batch's part that carries name number $2 (0-based), to each target. */
const DELIVERIES = `
  SELECT t.id AS target_id, t.name AS target_name, t.title AS target_title, t.position AS target_position,
         d.channel, d.status, d.pages, coalesce(d.provider_completed_at, d.completed_at) AS received_at
    FROM fax_deliveries d JOIN targets t ON t.id = d.target_id
   WHERE d.batch_id = $1 AND d.first_name <= $2 AND $2 < d.first_name + d.name_count`;

interface SignatureRow {
  id: string;
  status: 'valid' | 'held' | 'hidden' | 'late';
  batch_id: string | null;
  hold_reason: string | null;
  keyword: string;
  rank: number | null;
}

interface DeliveryRow {
  target_id: string;
  target_name: string;
  target_title: string | null;
  target_position: number;
  channel: 'fax' | 'email';
  status: string;
  pages: number;
  received_at: Date | null;
}

export function createReceiptLookup(database: Database) {
  return async function receiptState(
    phoneIndex: string,
    campaignId: number | null,
    keyword: string | null,
  ): Promise<ReceiptState> {
    const [signature] = await database.query<SignatureRow>('sms_receipt_signature', SIGNATURE, [
      phoneIndex,
      campaignId,
    ]);
    if (!signature) return { kind: 'none', keyword };
    const k = signature.keyword;
    if (signature.status === 'held') return { kind: 'held', keyword: k };
    if (signature.status === 'hidden') {
      // The hold reason the moderator confirmed by hiding the name, if it was held.
      return { kind: 'not-faxed', keyword: k, reason: signature.hold_reason as HoldReason | 'staff' | null };
    }
    if (signature.status === 'late') return { kind: 'late', keyword: k };
    if (signature.batch_id === null) return { kind: 'waiting', keyword: k };
    const rows = await database.query<DeliveryRow>('sms_receipt_deliveries', DELIVERIES, [
      signature.batch_id,
      signature.rank ?? 0,
    ]);
    // The part carrying the name, whatever its number for each target, counts as that target's whole.
    const facts: DeliveryFact[] = rows.map((row) => ({
      targetId: Number(row.target_id),
      targetName: row.target_name,
      targetTitle: row.target_title,
      targetPosition: row.target_position,
      part: 1,
      parts: 1,
      channel: row.channel,
      status: row.status,
      receivedAt:
        RECEIVED_STATUSES.includes(row.status) && row.received_at ? new Date(row.received_at) : null,
      pages: row.pages,
    }));
    const targets = targetReceipts(facts);
    const received = targets.flatMap((target) => (target.receipt ? [target.receipt] : []));
    const waiting = targets.filter((target) => !target.receipt).map((target) => labelText(target.label));
    return waiting.length === 0 && received.length > 0
      ? { kind: 'delivered', keyword: k, received, waiting }
      : { kind: 'sending', keyword: k, received, waiting };
  };
}
