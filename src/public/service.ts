import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { campaigns, faxBatches, signatures } from '../db/schema.js';
import type { ReceiptsService } from '../fax/receipts.js';

/** How long a public view is reused: a flood of visitors costs a few queries every few seconds. */
export const PUBLIC_CACHE_SECONDS = 5;
/** The batches shown per campaign, newest first. */
const MAX_BATCHES = 50;

/** One authority's receipt of one batch, as the public sees it: no names, no numbers. */
export interface PublicDelivery {
  channel: 'fax' | 'email';
  receivedAt: string;
  pages: number;
  dryRun: boolean;
}

export interface PublicAction {
  keyword: string;
  title: string;
  summary: string | null;
  status: 'open' | 'closed';
  closesAt: string | null;
  closedAt: string | null;
  /** Names that count (valid and held), as staff see them. */
  signatureCount: number;
  howToSign: { text: string; shortcode: string };
  authorities: Array<{ name: string; deliveries: PublicDelivery[] }>;
  updatedAt: string;
}

/**
 * The public view of an action at /act/:keyword: the open campaign with that keyword, else the most
 * recently closed one; never a draft, never one staff made not public. Cached a few seconds.
 */
export function createPublicService({
  db,
  config,
  receipts,
  clock,
}: {
  db: Db;
  config: Config;
  receipts: Pick<ReceiptsService, 'batchReceipt'>;
  clock: () => Date;
}) {
  const cache = new Map<string, { at: number; value: PublicAction | null }>();

  async function load(keyword: string): Promise<PublicAction | null> {
    const [campaign] = await db
      .select()
      .from(campaigns)
      .where(and(sql`upper(${campaigns.keyword}) = ${keyword}`, sql`${campaigns.status} <> 'draft'`))
      .orderBy(
        sql`${campaigns.status} = 'open' DESC`,
        sql`${campaigns.closedAt} DESC NULLS LAST`,
        desc(campaigns.id),
      )
      .limit(1);
    if (!campaign?.public || campaign.status === 'draft') return null;
    const [counted] = await db
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(signatures)
      .where(and(eq(signatures.campaignId, campaign.id), inArray(signatures.status, ['valid', 'held'])));
    const batches = await db
      .select({ id: faxBatches.id })
      .from(faxBatches)
      .where(eq(faxBatches.campaignId, campaign.id))
      .orderBy(desc(faxBatches.id))
      .limit(MAX_BATCHES);
    const authorities = new Map<number, { name: string; deliveries: PublicDelivery[] }>();
    for (const { id } of [...batches].reverse()) {
      const receipt = await receipts.batchReceipt(id);
      for (const target of receipt.targets) {
        const entry = authorities.get(target.targetId) ?? { name: target.name, deliveries: [] };
        if (target.received && target.receivedAt && target.channel) {
          entry.deliveries.push({
            channel: target.channel,
            receivedAt: target.receivedAt.toISOString(),
            pages: target.pages,
            dryRun: target.dryRun,
          });
        }
        authorities.set(target.targetId, entry);
      }
    }
    const upper = campaign.keyword.toUpperCase();
    return {
      keyword: upper,
      title: campaign.title,
      summary: campaign.summary,
      status: campaign.status,
      closesAt: campaign.closesAt?.toISOString() ?? null,
      closedAt: campaign.closedAt?.toISOString() ?? null,
      signatureCount: counted?.n ?? 0,
      howToSign: { text: `${upper} and your full name`, shortcode: config.smsShortcode },
      authorities: [...authorities.values()],
      updatedAt: clock().toISOString(),
    };
  }

  return {
    async action(keyword: string): Promise<PublicAction | null> {
      const key = keyword.toUpperCase();
      const now = Date.now();
      const hit = cache.get(key);
      if (hit && now - hit.at < PUBLIC_CACHE_SECONDS * 1000) return hit.value;
      const value = await load(key);
      if (cache.size > 1000) cache.clear();
      cache.set(key, { at: now, value });
      return value;
    },
  };
}

export type PublicService = ReturnType<typeof createPublicService>;
