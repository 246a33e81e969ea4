import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { TEXTABLE_MEMBER } from '../members/membership.repository.js';
import type { StoredAudience } from './audience.js';

// Who a broadcast reaches is a condition on supporters (members room) and signatures (campaigns room):
// the fan-out writes it into the statement that inserts the texts, so it stays SQL here.

/** Signatures that count as having signed: those going (or gone) on the fax, and late ones. */
const SIGNED = sql`g.status IN ('valid', 'held', 'late')`;

/** An audience as it stood when a broadcast was made: members up to this id, signatures up to then. */
export interface FrozenAudience {
  upTo: number;
  at: Date;
}

/**
 * Who a broadcast reaches, as a condition on `supporters s`: members who can be texted (consent
 * recorded, opted in, not erased, a number kept), narrowed to a campaign's signers or to those with no
 * signature on it at all (a hidden signature cannot be made again, so its member is not reminded), or to
 * the signers whose names one batch of the campaign carried. A frozen audience only shrinks: no one who
 * joined or signed after `frozen` is added (a reminder still skips a new signer).
 */
export function audienceCondition(
  audience: StoredAudience,
  campaignId: number,
  batchId: number | null = null,
  frozen?: FrozenAudience,
): SQL {
  const reachable = frozen ? sql`s.id <= ${frozen.upTo} AND ${TEXTABLE_MEMBER}` : TEXTABLE_MEMBER;
  const signature = sql`SELECT 1 FROM signatures g
    WHERE g.campaign_id = ${campaignId} AND g.supporter_id = s.id`;
  switch (audience) {
    case 'network':
      return reachable;
    case 'signers':
      return frozen
        ? sql`${reachable}
            AND EXISTS (${signature} AND ${SIGNED} AND g.signed_at <= ${frozen.at.toISOString()})`
        : sql`${reachable} AND EXISTS (${signature} AND ${SIGNED})`;
    case 'non-signers':
      return sql`${reachable} AND NOT EXISTS (${signature})`;
    case 'batch':
      return sql`${reachable} AND EXISTS (${signature} AND g.batch_id = ${batchId ?? -1})`;
  }
}

/** How many members an audience reaches now. */
export async function countAudience(
  q: Tx,
  audience: StoredAudience,
  campaignId: number,
  batchId: number | null = null,
): Promise<number> {
  // Joins supporters (members room) and signatures (campaigns room): the same condition as the fan-out's.
  const { rows } = await q.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM supporters s
      WHERE ${audienceCondition(audience, campaignId, batchId)}`,
  );
  return rows[0]?.n ?? 0;
}
