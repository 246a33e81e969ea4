import { type SQL, sql } from 'drizzle-orm';
import { TEXTABLE_MEMBER } from '../members/membership.repository.js';

export const AUDIENCES = ['network', 'signers', 'non-signers'] as const;
export type Audience = (typeof AUDIENCES)[number];
/** As stored: `batch` reaches the signers whose names one fax batch carried (`broadcasts.batch_id`). */
export type StoredAudience = Audience | 'batch';

/** An audience as the API names it: one of AUDIENCES, or `batch:<id>`. */
export interface AudienceChoice {
  audience: StoredAudience;
  batchId: number | null;
}

const BATCH = /^batch:([0-9]{1,18})$/;

/** Reads `network`, `signers`, `non-signers` or `batch:<id>`; null when it is none of them. */
export function parseAudience(text: string): AudienceChoice | null {
  if ((AUDIENCES as readonly string[]).includes(text)) return { audience: text as Audience, batchId: null };
  const match = BATCH.exec(text);
  return match ? { audience: 'batch', batchId: Number(match[1]) } : null;
}

/** The API's name of a stored audience. */
export function audienceName(audience: StoredAudience, batchId: number | string | null): string {
  return audience === 'batch' ? `batch:${batchId}` : audience;
}

/** Signatures that count as having signed: those going (or gone) on the fax, and late ones. */
const SIGNED = sql`g.status IN ('valid', 'held', 'late')`;

/** An audience as it stood when a broadcast was made: members up to this id, signatures up to then. */
export interface FrozenAudience {
  upTo: number;
  at: Date;
}

/**
 * Who a broadcast reaches, as a condition on `supporters s`: members who can be texted (consent
 * recorded, opted in, not erased, a number kept), narrowed to a campaign's signers or to those with no signature on it at all
 * (a hidden signature cannot be made again, so its member is not reminded), or to the signers whose
 * names one batch of the campaign carried. A frozen audience only shrinks: no one who joined or signed
 * after `frozen` is added (a reminder still skips a new signer).
 */
export function audienceCondition(
  audience: StoredAudience,
  campaignId: number,
  batchId: number | null = null,
  frozen?: FrozenAudience,
): SQL {
  const reachable = frozen ? sql`s.id <= ${frozen.upTo} AND ${TEXTABLE_MEMBER}` : TEXTABLE_MEMBER;
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
    case 'batch':
      return sql`${reachable} AND EXISTS (${signature} AND g.batch_id = ${batchId ?? -1})`;
  }
}
