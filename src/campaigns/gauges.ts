import type { Db } from '../db/client.js';
import type { Sample } from '../ops/metrics.js';
import { openCampaignDeadlines } from './repository.js';

type Labels = 'campaign' | 'keyword';

/**
 * For each open campaign: the seconds until it closes (when it has a deadline) and the valid names in
 * no fax batch yet. Together they say "closing soon with names not faxed".
 */
export function campaignGauges(db: Db) {
  return {
    async closesIn(): Promise<Sample<Labels>[]> {
      return (await openCampaignDeadlines(db))
        .filter((row) => row.closesIn !== null)
        .map((row) => ({
          labels: { campaign: row.campaign, keyword: row.keyword },
          value: Math.max(0, row.closesIn ?? 0),
        }));
    },
    async namesWaiting(): Promise<Sample<Labels>[]> {
      return (await openCampaignDeadlines(db)).map((row) => ({
        labels: { campaign: row.campaign, keyword: row.keyword },
        value: row.namesWaiting,
      }));
    },
  };
}
