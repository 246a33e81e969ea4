import { type SQL, sql } from 'drizzle-orm';

export const AUDIENCES = ['network', 'signers', 'non-signers'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** Signatures that count as having signed: those going (or gone) on the fax, and late ones. */
const SIGNED = sql`g.status IN ('valid', 'held', 'late')`;

/**
 * Who a broadcast reaches, as a condition on `supporters s`: members who can be texted (opted in, not
 * erased, a number kept), narrowed to a campaign's signers or to those with no signature on it at all
 * (a hidden signature cannot be made again, so its member is not reminded).
 */
export function audienceCondition(audience: Audience, campaignId: number): SQL {
  const reachable = sql`s.opted_in AND s.erased_at IS NULL AND s.phone_ciphertext IS NOT NULL`;
  const signature = sql`SELECT 1 FROM signatures g WHERE g.campaign_id = ${campaignId} AND g.supporter_id = s.id`;
  switch (audience) {
    case 'network':
      return reachable;
    case 'signers':
      return sql`${reachable} AND EXISTS (${signature} AND ${SIGNED})`;
    case 'non-signers':
      return sql`${reachable} AND NOT EXISTS (${signature})`;
  }
}
