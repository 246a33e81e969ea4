import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';

/** The statements of the spool of inbound texts (spool.ts). */

export interface SpooledReply {
  /** The supporter's number as stored: its blind index. */
  phoneIndex: string;
  body: string;
  segments: number;
  /** The MessageSid of the text it answers: one reply per text, however often it is replayed. */
  inReplyTo: string;
}

// writes outbound_messages (owned by broadcasts, above sms: passed in by services.ts) and reads
// supporters (owned by members): moves to those rooms' repositories at merge.
/**
 * The outbound message answering a replayed text, unless one answers it already: its id, else
 * undefined (also when the number has no supporter).
 */
export async function insertReplyOnce(tx: Tx, reply: SpooledReply): Promise<number | undefined> {
  const { rows } = await tx.execute<{ id: string }>(sql`
    INSERT INTO outbound_messages (supporter_id, body, segments, in_reply_to)
    SELECT id, ${reply.body}, ${reply.segments}, ${reply.inReplyTo} FROM supporters
     WHERE phone_index = ${reply.phoneIndex}
    ON CONFLICT (in_reply_to) DO NOTHING
    RETURNING id`);
  const row = rows[0];
  return row ? Number(row.id) : undefined;
}
