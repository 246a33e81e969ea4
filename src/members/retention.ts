import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';

export interface RetentionResult {
  /** Campaigns whose message bodies or dialogue state this run deleted. */
  campaigns: number;
  messages: number;
  dialogues: number;
}

const DAY_MS = 86_400_000;

/**
 * Retention: once a campaign has been closed for `retentionDays` and faxed (no valid signature left
 * waiting for a batch), the bodies of its texts, their replies (which carry names) and any dialogue
 * waiting on it are deleted. The rows stay, so counts and outcomes stay. Running it again changes
 * nothing.
 */
export function createRetention({
  db,
  clock,
  retentionDays,
}: {
  db: Db;
  clock: () => Date;
  retentionDays: number;
}) {
  return {
    async run(): Promise<RetentionResult> {
      const now = clock();
      const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
      const result = await db.execute<{ campaigns: number; messages: number; dialogues: number }>(sql`
        WITH expired AS (
          SELECT c.id FROM campaigns c
           WHERE c.status = 'closed' AND c.closed_at < ${cutoff.toISOString()}::timestamptz
             AND NOT EXISTS (SELECT 1 FROM signatures s
                              WHERE s.campaign_id = c.id AND s.batch_id IS NULL AND s.status = 'valid')
        ), messages AS (
          UPDATE inbound_messages m SET body = NULL, reply = ''
            FROM expired e
           WHERE m.campaign_id = e.id AND (m.body IS NOT NULL OR m.reply <> '')
          RETURNING e.id AS campaign_id, m.message_sid
        ), replies AS (
          -- A spooled text's reply went out as an outbound text: its copy goes with the text's.
          UPDATE outbound_messages o SET body = NULL
            FROM messages r
           WHERE o.in_reply_to = r.message_sid AND o.body IS NOT NULL
          RETURNING o.id -- run whether read or not, as every data-modifying WITH is
        ), dialogues AS (
          UPDATE supporters sp SET pending_campaign_id = NULL, pending_attempts = 0,
                                  updated_at = ${now.toISOString()}::timestamptz
            FROM expired e
           WHERE sp.pending_campaign_id = e.id
          RETURNING e.id AS campaign_id
        )
        SELECT (SELECT count(DISTINCT campaign_id)::int
                  FROM (SELECT campaign_id FROM messages UNION SELECT campaign_id FROM dialogues) touched)
                 AS campaigns,
               (SELECT count(*)::int FROM messages) AS messages,
               (SELECT count(*)::int FROM dialogues) AS dialogues`);
      const [counts] = result.rows;
      if (!counts) throw new Error('the retention statement returned no counts');
      return counts;
    },
  };
}
