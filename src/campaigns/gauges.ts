import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { Sample } from '../ops/metrics.js';

type Labels = 'campaign' | 'keyword';

/**
 * For each open campaign: the seconds until it closes (when it has a deadline) and the valid names in
 * no fax batch yet. Together they say "closing soon with names not faxed".
 */
export function campaignGauges(db: Db) {
  const read = async () => {
    const { rows } = await db.execute<{
      campaign: string;
      keyword: string;
      closes_in: number | null;
      waiting: number;
    }>(sql`
      SELECT c.id::text AS campaign, c.keyword,
        extract(epoch FROM c.closes_at - now())::float8 AS closes_in,
        (SELECT count(*)::int FROM signatures s
          WHERE s.campaign_id = c.id AND s.status = 'valid' AND s.batch_id IS NULL) AS waiting
      FROM campaigns c WHERE c.status = 'open'`);
    return rows;
  };
  return {
    async closesIn(): Promise<Sample<Labels>[]> {
      return (await read())
        .filter((row) => row.closes_in !== null)
        .map((row) => ({
          labels: { campaign: row.campaign, keyword: row.keyword },
          value: Math.max(0, row.closes_in ?? 0),
        }));
    },
    async namesWaiting(): Promise<Sample<Labels>[]> {
      return (await read()).map((row) => ({
        labels: { campaign: row.campaign, keyword: row.keyword },
        value: row.waiting,
      }));
    },
  };
}
