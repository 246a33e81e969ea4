import { publicCampaignByKeyword } from '../campaigns/repository.js';
import { countKeptSignatures } from '../campaigns/signatures.repository.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { deliveriesOfLatestBatches } from '../fax/deliveries.repository.js';
import { deliveryFact } from '../fax/receipts.js';
import { type DeliveryFact, targetReceipts } from '../receipt.js';

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
export function createPublicService({ db, config, clock }: { db: Db; config: Config; clock: () => Date }) {
  const cache = new Map<string, { at: number; value: PublicAction | null }>();

  async function load(keyword: string): Promise<PublicAction | null> {
    const campaign = await publicCampaignByKeyword(db, keyword);
    if (!campaign?.public || campaign.status === 'draft') return null;
    const signatureCount = await countKeptSignatures(db, campaign.id, ['valid', 'held']);
    // Every delivery of the campaign's latest batches, in one query; each batch's receipt per target.
    const rows = await deliveriesOfLatestBatches(db, campaign.id, MAX_BATCHES);
    const byBatch = new Map<number, DeliveryFact[]>();
    for (const { delivery, target } of rows) {
      const facts = byBatch.get(delivery.batchId) ?? [];
      facts.push(deliveryFact(delivery, target));
      byBatch.set(delivery.batchId, facts);
    }
    const authorities = new Map<number, { name: string; position: number; deliveries: PublicDelivery[] }>();
    for (const facts of byBatch.values()) {
      for (const target of targetReceipts(facts)) {
        const position = facts.find((f) => f.targetId === target.targetId)?.targetPosition ?? 0;
        const entry = authorities.get(target.targetId) ?? {
          name: target.label.name,
          position,
          deliveries: [],
        };
        if (target.receipt) {
          entry.deliveries.push({
            channel: target.receipt.channel,
            receivedAt: target.receipt.at.toISOString(),
            pages: target.pages,
            dryRun: target.receipt.dryRun,
          });
        }
        authorities.set(target.targetId, entry);
      }
    }
    const ordered = [...authorities.entries()]
      .sort(([a, x], [b, y]) => x.position - y.position || a - b)
      .map(([, { name, deliveries }]) => ({ name, deliveries }));
    const upper = campaign.keyword.toUpperCase();
    return {
      keyword: upper,
      title: campaign.title,
      summary: campaign.summary,
      status: campaign.status,
      closesAt: campaign.closesAt?.toISOString() ?? null,
      closedAt: campaign.closedAt?.toISOString() ?? null,
      signatureCount,
      howToSign: { text: `${upper} and your full name`, shortcode: config.smsShortcode },
      authorities: ordered,
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
