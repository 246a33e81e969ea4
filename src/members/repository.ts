/**
 * The network's queries over supporters: counting members, erasing one, opting one out, stamping the
 * names on file, and retention. The services beside it keep the rules and the transactions.
 */
import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { supporters } from '../db/schema.js';
import { HOLD_RULES } from '../supporters/names.js';
import { TEXTABLE_MEMBER } from './membership.repository.js';

/** The members of the network who can be texted. */
export async function countMembers(db: Tx): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM supporters s WHERE ${TEXTABLE_MEMBER}`,
  );
  return rows[0]?.n ?? 0;
}

/** The supporter with this blind index, locked until the transaction ends. */
export async function supporterIdByPhoneIndexForUpdate(
  tx: Tx,
  phoneIndex: string,
): Promise<number | undefined> {
  const [supporter] = await tx
    .select({ id: supporters.id })
    .from(supporters)
    .where(eq(supporters.phoneIndex, phoneIndex))
    .for('update');
  return supporter?.id;
}

/** Removes a supporter's number and name, opts them out (keeping the first opt-out) and marks them erased. */
export async function eraseSupporter(tx: Tx, supporterId: number, now: Date): Promise<void> {
  await tx
    .update(supporters)
    .set({
      phoneCiphertext: null,
      phoneIndex: null,
      name: null,
      nameClearedUnder: null,
      optedIn: false,
      optedOutAt: sql`coalesce(${supporters.optedOutAt}, ${now})`,
      pendingCampaignId: null,
      pendingAttempts: 0,
      erasedAt: now,
      updatedAt: now,
    })
    .where(eq(supporters.id, supporterId));
}

/** Twilio will not text this number again until they text START: our list says the same. */
export async function markUnsubscribed(tx: Tx, supporterId: number | string, at: Date): Promise<void> {
  await tx.execute(sql`
    UPDATE supporters SET opted_in = false, opted_out_at = ${at.toISOString()}, updated_at = now()
    WHERE id = ${supporterId} AND opted_in`);
}

export interface NameOnFile {
  id: number;
  name: string;
}

/** Names on file after `afterId` not stamped as passing the current hold rules, in id order. */
export async function namesNotClearedAfter(db: Tx, afterId: number, limit: number): Promise<NameOnFile[]> {
  const { rows } = await db.execute<{ id: number; name: string }>(sql`
    SELECT id::int, name FROM supporters
     WHERE id > ${afterId} AND name IS NOT NULL AND name_cleared_under IS DISTINCT FROM ${HOLD_RULES}
     ORDER BY id LIMIT ${limit}`);
  return rows;
}

/**
 * Stamps these names as passing the current hold rules, each only if still as read (one written
 * meanwhile was stamped by whoever wrote it); returns how many were stamped.
 */
export async function stampNamesCleared(db: Tx, names: NameOnFile[]): Promise<number> {
  const stamped = await db.execute(sql`
    UPDATE supporters sp SET name_cleared_under = ${HOLD_RULES}
      FROM json_to_recordset(${JSON.stringify(names)}::json) AS c(id bigint, name text)
     WHERE sp.id = c.id AND sp.name = c.name`);
  return stamped.rowCount ?? 0;
}

export interface ExpiredTexts {
  /** Campaigns whose message bodies or dialogue state were deleted. */
  campaigns: number;
  messages: number;
  dialogues: number;
}

/**
 * For campaigns closed before `cutoff` and faxed (no valid signature left waiting for a batch): deletes
 * the bodies of their texts, of the replies to them, and any dialogue waiting on them. One statement,
 * so the counts are of one moment.
 */
// A join of rooms, kept one statement so that its counts are of one moment: it reads campaigns and
// signatures (campaigns room) and clears inbound_messages (sms) and outbound_messages (broadcasts).
export async function deleteExpiredTexts(db: Tx, cutoff: Date, now: Date): Promise<ExpiredTexts> {
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
}

/** The highest supporter id now: a broadcast's audience is frozen at it when the broadcast is made. */
export async function highestSupporterId(db: Tx): Promise<number> {
  const { rows } = await db.execute<{ up_to: string | null }>(sql`SELECT max(id) AS up_to FROM supporters`);
  return Number(rows[0]?.up_to ?? 0);
}

/**
 * Holds the member's row against a STOP's update until the transaction ends, and reads whether they
 * are opted in; undefined when there is no such member.
 */
export async function lockMemberOptIn(tx: Tx, supporterId: number): Promise<boolean | undefined> {
  const { rows } = await tx.execute<{ opted_in: boolean }>(
    sql`SELECT opted_in FROM supporters WHERE id = ${supporterId} FOR SHARE`,
  );
  return rows[0]?.opted_in;
}
