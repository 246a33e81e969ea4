import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { BroadcastStatus, OutboundMessageRow, OutboundStatus } from '../db/rows.js';
import { outboundMessages } from '../db/schema.js';
import { enqueueEachSql } from '../queue/outbox.repository.js';
import type { SpooledReply } from '../sms/spool.js';
import type { StoredAudience } from './audience.js';
import { audienceCondition, type FrozenAudience } from './audience.repository.js';

/** The advisory lock's first key for a Twilio sid: a send recording it and its early report take turns. */
const SID_LOCK = 'pp:twilio-sid';
/** Held while texts are checked and enqueued again, so that two watchdogs never give one text two jobs. */
const STUCK_TEXTS_LOCK = 'pp:stuck-texts';

/** A broadcast's failed or undelivered texts by Twilio error code, the most common first. */
export async function failureCounts(
  q: Tx,
  broadcastId: number,
): Promise<Array<{ errorCode: number | null; count: number }>> {
  const { rows } = await q.execute<{ error_code: number | null; count: number }>(sql`
    SELECT error_code, count(*)::int AS count FROM outbound_messages
    WHERE broadcast_id = ${broadcastId} AND status IN ('failed', 'undelivered')
    GROUP BY error_code ORDER BY count(*) DESC, error_code NULLS LAST`);
  return rows.map((row) => ({ errorCode: row.error_code, count: row.count }));
}

/** The texts of a broadcast not yet claimed by a send are cancelled (their jobs then skip them). */
export async function cancelQueuedMessages(tx: Tx, broadcastId: number, at: Date): Promise<void> {
  await tx
    .update(outboundMessages)
    .set({ status: 'cancelled', updatedAt: at })
    .where(and(eq(outboundMessages.broadcastId, broadcastId), eq(outboundMessages.status, 'queued')));
}

/**
 * Writes the next `limit` texts of a broadcast, the audience's members after `after` by id, each with
 * its send job, in one statement: the unique (broadcast, supporter) key makes a batch written twice
 * insert and enqueue nothing. Returns the last member seen (null when none) and how many were seen.
 */
export async function writeFanOutBatch(
  tx: Tx,
  batch: {
    broadcastId: number;
    audience: StoredAudience;
    campaignId: number;
    batchId: number | null;
    frozen: FrozenAudience | undefined;
    segments: number;
    after: number;
    limit: number;
  },
): Promise<{ lastId: number | null; seen: number }> {
  const audience = audienceCondition(batch.audience, batch.campaignId, batch.batchId, batch.frozen);
  // Joins supporters (members room) and signatures (campaigns room): the audience is read and its texts
  // written in one statement, so a batch of the fan-out is all or nothing.
  const { rows } = await tx.execute<{ last_id: string | null; seen: number }>(sql`
    WITH audience AS (
      SELECT s.id FROM supporters s
      WHERE s.id > ${batch.after} AND ${audience}
      ORDER BY s.id LIMIT ${batch.limit}
    ), inserted AS (
      INSERT INTO outbound_messages (broadcast_id, supporter_id, segments)
      SELECT ${batch.broadcastId}, id, ${batch.segments} FROM audience ORDER BY id
      ON CONFLICT (broadcast_id, supporter_id) DO NOTHING
      RETURNING id
    ), queued AS (${enqueueEachSql('sms-send', 'send', 'messageId', sql`inserted`)})
    SELECT (SELECT max(id) FROM audience) AS last_id,
      (SELECT count(*) FROM audience)::int AS seen`);
  const row = rows[0];
  return {
    lastId: !row || row.last_id === null ? null : Number(row.last_id),
    seen: row?.seen ?? 0,
  };
}

/** Whether quiet hours hold this message: not a reply, nor a text of a broadcast sent "now anyway". */
export async function messageIgnoresQuietHours(q: Tx, messageId: number): Promise<boolean> {
  const { rows } = await q.execute<{ ignores: boolean }>(sql`
    SELECT m.in_reply_to IS NOT NULL OR coalesce(b.ignores_quiet_hours, false) AS ignores
    FROM outbound_messages m LEFT JOIN broadcasts b ON b.id = m.broadcast_id WHERE m.id = ${messageId}`);
  return rows[0]?.ignores ?? false;
}

/** A message claimed for sending, with what the send needs to know. */
export interface ClaimedMessage {
  status: OutboundStatus;
  supporterId: number;
  broadcastId: number | null;
  broadcastStatus: BroadcastStatus | null;
  /** Only while the message is being sent. */
  phoneCiphertext: string | null;
  body: string | null;
  /** An earlier attempt claimed the message and stopped before recording Twilio's answer. */
  interrupted: boolean;
  /** When that attempt claimed it. */
  claimedAt: Date;
  optedIn: boolean;
  /** A reply to a spooled inbound text: sent whatever the hour and the member's opt-in. */
  reply: boolean;
}

/**
 * Claims a queued message (or one an interrupted attempt left claimed) for sending: `sending`, or
 * settled at once when its member has opted out or been erased. Opt-out is read in this very statement.
 * Undefined when the message is already settled.
 */
export async function claimMessage(q: Tx, messageId: number): Promise<ClaimedMessage | undefined> {
  // Joins supporters (members room): opt-out and erasure are read in the claiming statement itself.
  // An interrupted message of an erased member cannot be looked up (the number is gone): failed.
  const { rows } = await q.execute<{
    status: OutboundStatus;
    supporter_id: string;
    broadcast_id: string | null;
    broadcast_status: BroadcastStatus | null;
    phone_ciphertext: string | null;
    body: string | null;
    interrupted: boolean;
    claimed_at: string;
    opted_in: boolean;
    reply: boolean;
  }>(sql`
    WITH previous AS (
      SELECT id, status, updated_at FROM outbound_messages WHERE id = ${messageId} FOR UPDATE)
    UPDATE outbound_messages m SET
      status = CASE
        WHEN s.erased_at IS NOT NULL OR s.phone_ciphertext IS NULL THEN
          CASE WHEN previous.status = 'sending' THEN 'failed' ELSE 'skipped_opted_out' END
        WHEN s.opted_in OR previous.status = 'sending' OR m.in_reply_to IS NOT NULL THEN 'sending'
        ELSE 'skipped_opted_out' END::outbound_status,
      attempts = m.attempts + 1,
      -- An interrupted claim keeps its time: it bounds the look-up at the provider, however late.
      updated_at = CASE WHEN previous.status = 'sending' THEN m.updated_at ELSE now() END
    FROM previous, supporters s
    WHERE m.id = previous.id AND previous.status IN ('queued', 'sending') AND s.id = m.supporter_id
    RETURNING m.status, m.supporter_id, m.broadcast_id,
      (SELECT status FROM broadcasts WHERE id = m.broadcast_id) AS broadcast_status,
      CASE WHEN m.status = 'sending' THEN s.phone_ciphertext END AS phone_ciphertext,
      coalesce(m.body, (SELECT body FROM broadcasts WHERE id = m.broadcast_id)) AS body,
      previous.status = 'sending' AS interrupted, previous.updated_at AS claimed_at, s.opted_in,
      m.in_reply_to IS NOT NULL AS reply`);
  const row = rows[0];
  return (
    row && {
      status: row.status,
      supporterId: Number(row.supporter_id),
      broadcastId: row.broadcast_id === null ? null : Number(row.broadcast_id),
      broadcastStatus: row.broadcast_status,
      phoneCiphertext: row.phone_ciphertext,
      body: row.body,
      interrupted: row.interrupted,
      claimedAt: new Date(row.claimed_at),
      optedIn: row.opted_in,
      reply: row.reply,
    }
  );
}

/**
 * Whether sending this message would call Twilio: not when it is already settled, cancelled, or to a
 * member who has opted out or been erased.
 */
export async function messageWouldSend(q: Tx, messageId: number): Promise<boolean> {
  // Joins supporters (members room): the message and its member's opt-in in one read.
  const { rows } = await q.execute<{ sends: boolean }>(sql`
    SELECT m.status = 'sending' OR (m.status = 'queued' AND s.erased_at IS NULL
      AND s.phone_ciphertext IS NOT NULL AND (s.opted_in OR m.in_reply_to IS NOT NULL)) AS sends
    FROM outbound_messages m JOIN supporters s ON s.id = m.supporter_id
    WHERE m.id = ${messageId}`);
  return rows[0]?.sends ?? false;
}

/** Postgres ends this transaction should it stay idle longer than `ms` (a hung process holding a row). */
export async function limitIdleTransaction(tx: Tx, ms: number): Promise<void> {
  await tx.execute(sql.raw(`SET LOCAL idle_in_transaction_session_timeout = ${Math.trunc(ms)}`));
}

/** A send recording this sid and the sid's delivery report take turns (until the transaction ends). */
export async function lockTwilioSid(tx: Tx, sid: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${SID_LOCK}), hashtext(${sid}))`);
}

/**
 * How a message ended: its status (checked by Postgres' cast), error code and, when Twilio took it,
 * sid and time sent.
 */
export async function recordMessageOutcome(
  q: Tx,
  messageId: number,
  outcome: { status: string; errorCode: number | null; sid: string | null },
): Promise<void> {
  await q.execute(sql`
    UPDATE outbound_messages SET status = ${outcome.status}::outbound_status,
      error_code = ${outcome.errorCode},
      twilio_sid = coalesce(${outcome.sid}, twilio_sid),
      sent_at = CASE WHEN ${outcome.sid}::text IS NULL THEN sent_at ELSE now() END,
      updated_at = now()
    WHERE id = ${messageId}`);
}

/** Twilio's answer was unclear: the message stays claimed (and keeps its claim's time), with the code. */
export async function setMessageErrorCode(q: Tx, messageId: number, errorCode: number | null): Promise<void> {
  await q.execute(sql`UPDATE outbound_messages SET error_code = ${errorCode} WHERE id = ${messageId}`);
}

/** A send to try again: the message is queued again, with the error code of this attempt. */
export async function requeueMessage(q: Tx, messageId: number, errorCode: number | null): Promise<void> {
  await q.execute(sql`
    UPDATE outbound_messages SET status = 'queued', error_code = ${errorCode}, updated_at = now()
    WHERE id = ${messageId}`);
}

/** The message Twilio gave this sid; undefined when no send has recorded it (yet). */
export async function messageBySid(
  q: Tx,
  sid: string,
): Promise<Pick<OutboundMessageRow, 'supporterId' | 'status'> | undefined> {
  const [row] = await q
    .select({ supporterId: outboundMessages.supporterId, status: outboundMessages.status })
    .from(outboundMessages)
    .where(eq(outboundMessages.twilioSid, sid));
  return row;
}

/** A delivery report applied to its message, unless the message already has a final status. */
export async function applyDeliveryReport(
  q: Tx,
  sid: string,
  status: string,
  errorCode: number | null,
): Promise<void> {
  await q.execute(sql`
    UPDATE outbound_messages SET status = ${status}::outbound_status,
      error_code = coalesce(${errorCode}::int, error_code), updated_at = now()
    WHERE twilio_sid = ${sid} AND status IN ('sending', 'sent')`);
}

/** A report that came before its send was recorded, kept for it; a final status is never replaced. */
export async function keepEarlyDeliveryReport(
  q: Tx,
  sid: string,
  status: string,
  errorCode: number | null,
): Promise<void> {
  await q.execute(sql`
    INSERT INTO early_delivery_reports (message_sid, status, error_code)
    VALUES (${sid}, ${status}::outbound_status, ${errorCode})
    ON CONFLICT (message_sid) DO UPDATE SET status = excluded.status,
      error_code = coalesce(excluded.error_code, early_delivery_reports.error_code)
    WHERE early_delivery_reports.status = 'sent'`);
}

/** The early report kept for this sid, removed as it is taken; undefined when none came early. */
export async function takeEarlyDeliveryReport(
  q: Tx,
  sid: string,
): Promise<{ status: OutboundStatus; errorCode: number | null } | undefined> {
  const { rows } = await q.execute<{ status: OutboundStatus; error_code: number | null }>(sql`
    DELETE FROM early_delivery_reports WHERE message_sid = ${sid} RETURNING status, error_code`);
  const row = rows[0];
  return row && { status: row.status, errorCode: row.error_code };
}

/** Early reports older than `days`: their sends were never recorded here (not ours). */
export async function deleteEarlyDeliveryReportsOlderThan(q: Tx, days: number): Promise<void> {
  await q.execute(
    sql`DELETE FROM early_delivery_reports WHERE received_at < now() - make_interval(days => ${days})`,
  );
}

/** One watchdog at a time checks for stuck texts (until the transaction ends). */
export async function lockStuckTextsCheck(tx: Tx): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${STUCK_TEXTS_LOCK}))`);
}

/** A text queued or claimed that has not changed for a while, with its broadcast's campaign. */
export interface UnchangedMessage {
  id: number;
  status: 'queued' | 'sending';
  broadcastId: number | null;
  campaignId: number | null;
  updatedAt: Date;
}

/** The oldest `limit` texts queued or claimed and unchanged for `seconds`. */
export async function unchangedMessages(q: Tx, seconds: number, limit: number): Promise<UnchangedMessage[]> {
  const { rows } = await q.execute<{
    id: string;
    status: 'queued' | 'sending';
    broadcast_id: string | null;
    campaign_id: string | null;
    updated_at: string;
  }>(sql`
    SELECT m.id, m.status, m.broadcast_id, b.campaign_id, m.updated_at
    FROM outbound_messages m LEFT JOIN broadcasts b ON b.id = m.broadcast_id
    WHERE m.status IN ('queued', 'sending')
      AND m.updated_at <= now() - make_interval(secs => ${seconds})
    ORDER BY m.id LIMIT ${limit}`);
  return rows.map((row) => ({
    id: Number(row.id),
    status: row.status,
    broadcastId: row.broadcast_id === null ? null : Number(row.broadcast_id),
    campaignId: row.campaign_id === null ? null : Number(row.campaign_id),
    updatedAt: new Date(row.updated_at),
  }));
}

/**
 * The outbound message answering a text the spool replays (sms/spool.ts, which gets this function
 * from services.ts), unless one answers it already: its id, else undefined (also when the number has
 * no supporter). Joins supporters (members room) to find the sender by its blind index.
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

/** Clears the replies to a supporter's spooled texts, which went out as outbound texts. */
export async function clearRepliesTo(tx: Tx, supporterId: number): Promise<void> {
  await tx
    .update(outboundMessages)
    .set({ body: null })
    .where(and(eq(outboundMessages.supporterId, supporterId), isNotNull(outboundMessages.inReplyTo)));
}
