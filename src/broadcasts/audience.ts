import { type SQL, sql } from 'drizzle-orm';

export const AUDIENCES = ['network', 'signers', 'non-signers'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** Signatures that count as having signed: those going (or gone) on the fax, and late ones. */
const SIGNED = sql`g.status IN ('valid', 'held', 'late')`;

/** An audience as it stood when a broadcast was made: members up to this id, signatures up to then. */
export interface FrozenAudience {
  upTo: number;
  at: Date;
}

/**
 * Who a broadcast reaches, as a condition on `supporters s`: members who can be texted (opted in, not
 * erased, a number kept), narrowed to a campaign's signers or to those with no signature on it at all
 * (a hidden signature cannot be made again, so its member is not reminded). A frozen audience only
 * shrinks: no one who joined or signed after `frozen` is added (a reminder still skips a new signer).
 */
export function audienceCondition(audience: Audience, campaignId: number, frozen?: FrozenAudience): SQL {
  const reachable = frozen
    ? sql`s.id <= ${frozen.upTo} AND s.opted_in AND s.erased_at IS NULL AND s.phone_ciphertext IS NOT NULL`
    : sql`s.opted_in AND s.erased_at IS NULL AND s.phone_ciphertext IS NOT NULL`;
  const signature = sql`SELECT 1 FROM signatures g WHERE g.campaign_id = ${campaignId} AND g.supporter_id = s.id`;
  switch (audience) {
    case 'network':
      return reachable;
    case 'signers':
      return frozen
        ? sql`${reachable} AND EXISTS (${signature} AND ${SIGNED} AND g.signed_at <= ${frozen.at.toISOString()})`
        : sql`${reachable} AND EXISTS (${signature} AND ${SIGNED})`;
    case 'non-signers':
      return sql`${reachable} AND NOT EXISTS (${signature})`;
  }
}
