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
