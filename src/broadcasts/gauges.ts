import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { Sample } from '../ops/metrics.js';

/**
 * pp_broadcast_messages{broadcast, status}: the texts of each broadcast that is sending or waiting, or
 * finished in the last day, by status; what the "failing above 5% of a broadcast" alert divides.
 */
export function broadcastGauge(db: Db) {
  return async (): Promise<Sample<'broadcast' | 'status'>[]> => {
    const { rows } = await db.execute<{ broadcast: string; status: string; n: number }>(sql`
      SELECT m.broadcast_id::text AS broadcast, m.status::text AS status, count(*)::int AS n
      FROM broadcasts b JOIN outbound_messages m ON m.broadcast_id = b.id
      WHERE b.status IN ('queued', 'waiting', 'sending')
        OR coalesce(b.completed_at, b.cancelled_at) > now() - interval '1 day'
      GROUP BY 1, 2`);
    return rows.map((row) => ({ labels: { broadcast: row.broadcast, status: row.status }, value: row.n }));
  };
}
