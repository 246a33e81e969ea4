import type { Db } from '../db/client.js';
import type { Sample } from '../ops/metrics.js';
import { countRecentDeliveries } from './deliveries.repository.js';

/** How long a delivery stays in pp_fax_deliveries after it last changed: a week of a campaign's faxes. */
const RECENT = '7 days';

/**
 * pp_fax_deliveries{state, channel}: deliveries changed in the last week, by state. A part failed for
 * good stays `failed` until staff retry it, so the alert on it lasts as long as nobody has.
 */
export function faxDeliveryGauge(db: Db) {
  return async (): Promise<Sample<'state' | 'channel'>[]> => {
    const rows = await countRecentDeliveries(db, RECENT);
    return rows.map((row) => ({ labels: { state: row.status, channel: row.channel }, value: row.n }));
  };
}
