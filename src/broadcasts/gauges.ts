import type { Db } from '../db/client.js';
import type { Sample } from '../ops/metrics.js';
import { recentBroadcastMessageCounts } from './repository.js';

/**
 * pp_broadcast_messages{broadcast, status}: the texts of each broadcast that is sending or waiting, or
 * finished in the last day, by status; what the "failing above 5% of a broadcast" alert divides.
 */
export function broadcastGauge(db: Db) {
  return async (): Promise<Sample<'broadcast' | 'status'>[]> => {
    const rows = await recentBroadcastMessageCounts(db);
    return rows.map((row) => ({
      labels: { broadcast: row.broadcastId, status: row.status },
      value: row.count,
    }));
  };
}
