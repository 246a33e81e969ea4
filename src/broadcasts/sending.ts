import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Db, Tx } from '../db/client.js';
import { markUnsubscribed } from '../members/opt-out.js';
import type { Metrics } from '../ops/metrics.js';
import { enqueueEachSql } from '../queue/outbox.repository.js';
import { SmsSendError, type SmsSender, TWILIO_UNSUBSCRIBED } from '../sms/sender.js';
import type { PhoneCrypto } from '../supporters/phone.js';
import { audienceCondition, type StoredAudience } from './audience.js';
import { broadcastHold, quietHoursWait } from './quiet-hours.js';

/** The advisory lock's first key for a Twilio sid: a send recording it and its early report take turns. */
const SID_LOCK = 'pp:twilio-sid';
/** An early report whose send is never recorded (not ours) is dropped after this. */
const EARLY_REPORTS_KEPT_DAYS = 1;
/** Twilio's statuses recorded on a message; an earlier one (accepted, queued, sending) is recorded as sent. */
const RECORDED_STATUSES = new Set(['sent', 'delivered', 'undelivered', 'failed']);

/** Recipients written per transaction: a 100,000-member network is a hundred short transactions. */
export const FAN_OUT_BATCH = 1_000;

export interface SendingDeps {
  db: Db;
  clock: () => Date;
  config: Config;
  sender: SmsSender;
  phoneCrypto: PhoneCrypto;
  logger: Logger;
  /** What Twilio made of each text handed to it (pp_sms_outbound_total). */
  metrics: Pick<Metrics, 'smsOutbound'>;
}

/** A Twilio error code as a label: `none` when Twilio gave none (a timeout, a refused connection). */
export function codeLabel(code: number | null | undefined): string {
  return code === null || code === undefined ? 'none' : String(code);
}

/** The longest a waiting fan-out sleeps before it looks again (one job per waiting broadcast). */
export const HOLD_STEP_MS = 5 * 60_000;

/** What a job should do next: nothing more, or come back after `waitMs` (quiet hours). */
export type JobOutcome = { waitMs: number } | null;

type BroadcastRow = {
  status: string;
  campaign_id: string;
  audience: StoredAudience;
  batch_id: string | null;
  segments: number;
  fanned_out_to: string;
  fanned_out_at: Date | null;
  audience_up_to: string | null;
  created_at: Date;
  ignores_quiet_hours: boolean;
  send_after: Date | null;
};

type ClaimRow = {
  status: string;
  supporter_id: string;
  broadcast_id: string | null;
  broadcast_status: string | null;
  phone_ciphertext: string | null;
  body: string | null;
  /** An earlier attempt claimed the message and stopped before recording Twilio's answer. */
  interrupted: boolean;
  /** When that attempt claimed it. */
  claimed_at: Date;
  opted_in: boolean;
  /** A reply to a spooled inbound text: sent whatever the hour and the member's opt-in. */
  reply: boolean;
};

/**
 * Marks a broadcast done once it is fanned out and none of its messages waits to be handed over. Run
 * after the caller's change has committed: the last message to commit then sees every other one.
 */
async function finishIfSent(tx: Tx, broadcastId: number | string): Promise<void> {
  await tx.execute(sql`
    UPDATE broadcasts b SET status = 'done', completed_at = now()
    WHERE b.id = ${broadcastId} AND b.status IN ('sending', 'waiting') AND b.fanned_out_at IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM outbound_messages m
        WHERE m.broadcast_id = b.id AND m.status IN ('queued', 'sending'))`);
}

export function createBroadcastSending({
  db,
  clock,
  config,
  sender,
  phoneCrypto,
  logger,
  metrics,
}: SendingDeps) {
  /** One batch of the fan-out; resolves to true when the audience is exhausted. */
  async function fanOutBatch(broadcastId: number): Promise<boolean | { waitMs: number }> {
    return db.transaction(async (tx) => {
      // Locked, so two runs of the job (or a cancellation) take turns; the cursor makes reruns resume.
      const { rows } = await tx.execute<BroadcastRow>(sql`
        SELECT status, campaign_id, audience, batch_id, segments, fanned_out_to, fanned_out_at, audience_up_to,
               created_at, ignores_quiet_hours, send_after
        FROM broadcasts WHERE id = ${broadcastId} FOR UPDATE`);
      const broadcast = rows[0];
      if (!broadcast || broadcast.fanned_out_at !== null) return true;
      if (broadcast.status === 'cancelled' || broadcast.status === 'done') return true;
      const now = clock();
      const hold = broadcastHold(now, config.sms.quietHours, {
        ignoresQuietHours: broadcast.ignores_quiet_hours,
        sendAfter: broadcast.send_after && new Date(broadcast.send_after),
      });
      if (hold) {
        await tx.execute(sql`UPDATE broadcasts SET status = 'waiting' WHERE id = ${broadcastId}`);
        // In steps, so that quiet hours switched off (a restart) or a new time is seen within one.
        return { waitMs: Math.min(hold.until.getTime() - now.getTime(), HOLD_STEP_MS) };
      }
      // The audience as it was counted and confirmed when the broadcast was made.
      const frozen =
        broadcast.audience_up_to === null
          ? undefined
          : { upTo: Number(broadcast.audience_up_to), at: new Date(broadcast.created_at) };
      const audience = audienceCondition(
        broadcast.audience,
        Number(broadcast.campaign_id),
        broadcast.batch_id === null ? null : Number(broadcast.batch_id),
        frozen,
      );
      // The unique (broadcast, supporter) key makes a batch written twice insert and enqueue nothing; each
      // message's send job is written by the same statement.
      const { rows: written } = await tx.execute<{ last_id: string | null; seen: number }>(sql`
        WITH audience AS (
          SELECT s.id FROM supporters s
          WHERE s.id > ${broadcast.fanned_out_to} AND ${audience}
          ORDER BY s.id LIMIT ${FAN_OUT_BATCH}
        ), inserted AS (
          INSERT INTO outbound_messages (broadcast_id, supporter_id, segments)
          SELECT ${broadcastId}, id, ${broadcast.segments} FROM audience ORDER BY id
          ON CONFLICT (broadcast_id, supporter_id) DO NOTHING
          RETURNING id
        ), queued AS (${enqueueEachSql('sms-send', 'send', 'messageId', sql`inserted`)})
        SELECT (SELECT max(id) FROM audience) AS last_id,
          (SELECT count(*) FROM audience)::int AS seen`);
      const batch = written[0];
      const complete = !batch || batch.seen < FAN_OUT_BATCH;
      await tx.execute(sql`
        UPDATE broadcasts SET
          status = 'sending',
          fanned_out_to = ${batch?.last_id ?? broadcast.fanned_out_to},
          fanned_out_at = ${complete ? clock().toISOString() : null},
          total = CASE WHEN ${complete}
            THEN (SELECT count(*) FROM outbound_messages WHERE broadcast_id = ${broadcastId}) ELSE total END
        WHERE id = ${broadcastId}`);
      return complete;
    });
  }

  /**
   * Replies to spooled texts are answers, not broadcasts, and staff may send a broadcast "now anyway":
   * quiet hours hold neither.
   */
  async function ignoresQuietHours(messageId: number): Promise<boolean> {
    const { rows } = await db.execute<{ ignores: boolean }>(sql`
      SELECT m.in_reply_to IS NOT NULL OR coalesce(b.ignores_quiet_hours, false) AS ignores
      FROM outbound_messages m LEFT JOIN broadcasts b ON b.id = m.broadcast_id WHERE m.id = ${messageId}`);
    return rows[0]?.ignores ?? false;
  }

  type Change = { status: string; errorCode?: number | null; sid?: string };

  /**
   * Records how a message ended, in `q` (the send's own transaction, which holds the member). With a
   * sid, a delivery report Twilio sent before this commits (kept by recordDeliveryReport) is applied:
   * both take the sid's lock, so the report is either kept before and found here, or comes after and
   * finds the message.
   */
  async function record(q: Tx, messageId: number, claim: ClaimRow, change: Change) {
    let errorCode = change.errorCode ?? null;
    if (change.sid) {
      await q.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${SID_LOCK}), hashtext(${change.sid}))`);
      const { rows } = await q.execute<{ status: string; error_code: number | null }>(sql`
        DELETE FROM early_delivery_reports WHERE message_sid = ${change.sid} RETURNING status, error_code`);
      const early = rows[0];
      if (early) {
        change = { ...change, status: early.status };
        errorCode = early.error_code ?? errorCode;
      }
    }
    await q.execute(sql`
      UPDATE outbound_messages SET status = ${change.status}::outbound_status,
        error_code = ${errorCode},
        twilio_sid = coalesce(${change.sid ?? null}, twilio_sid),
        sent_at = CASE WHEN ${change.sid ?? null}::text IS NULL THEN sent_at ELSE now() END,
        updated_at = now()
      WHERE id = ${messageId}`);
    if (errorCode === TWILIO_UNSUBSCRIBED) await markUnsubscribed(q, claim.supporter_id, clock());
  }

  async function settle(messageId: number, claim: ClaimRow, change: Change) {
    // A transaction only when two rows change: most messages are one statement.
    if (change.errorCode === TWILIO_UNSUBSCRIBED) {
      await db.transaction((tx) => record(tx, messageId, claim, change));
    } else {
      await record(db, messageId, claim, change);
    }
    if (claim.broadcast_id !== null) await finishIfSent(db, claim.broadcast_id);
  }

  /**
   * Holds the member from the opt-in check until Twilio has answered: the check takes a share lock on
   * the supporter row in a transaction kept open across the call, and a STOP's update of that row waits
   * for it. So a STOP either commits before the check (the text is skipped) or is answered after the
   * text left: never "you will get no more texts" followed by a text. The wait is bounded by the Twilio
   * client's timeout; Postgres ends a transaction left idle longer than that, should this process hang.
   */
  async function sendHoldingMember(
    messageId: number,
    claim: ClaimRow,
    sms: { to: string; body: string },
  ): Promise<SmsSendError | null> {
    return db.transaction(async (tx) => {
      await tx.execute(
        sql.raw(`SET LOCAL idle_in_transaction_session_timeout = ${config.twilio.timeoutMs + 5_000}`),
      );
      const { rows } = await tx.execute<{ opted_in: boolean }>(
        sql`SELECT opted_in FROM supporters WHERE id = ${claim.supporter_id} FOR SHARE`,
      );
      // A reply to a spooled text is an answer, not a broadcast: a STOP's confirmation must go.
      if (!claim.reply && !rows[0]?.opted_in) {
        await record(tx, messageId, claim, { status: 'skipped_opted_out' });
        return null;
      }
      try {
        const sent = await sender.send(sms);
        metrics.smsOutbound.inc({ outcome: 'sent', code: 'none' });
        await record(tx, messageId, claim, { status: 'sent', sid: sent.sid });
        return null;
      } catch (error) {
        if (!(error instanceof SmsSendError)) throw error;
        if (error.code === TWILIO_UNSUBSCRIBED) {
          metrics.smsOutbound.inc({ outcome: 'opted_out', code: codeLabel(error.code) });
          await record(tx, messageId, claim, { status: 'skipped_opted_out', errorCode: error.code });
          return null;
        }
        return error;
      }
    });
  }

  /**
   * A claimed message whose last attempt got no clear answer (the worker died, Twilio timed out or
   * answered 5xx) may be at Twilio: it is looked up there first. Taken → recorded with Twilio's sid
   * and status (true); not taken → false, and it may be sent. Twilio not answering the look-up
   * throws: the job retries and the message stays claimed, never sent blind.
   */
  async function settledAtTwilio(
    messageId: number,
    claim: ClaimRow,
    sms: { to: string; body: string },
  ): Promise<boolean> {
    const taken = await sender.findSent(sms, new Date(claim.claimed_at));
    if (!taken) return false;
    logger.info({ messageId }, 'text found at the provider: recorded as taken, not sent again');
    const status = RECORDED_STATUSES.has(taken.status) ? taken.status : 'sent';
    await db.transaction((tx) => record(tx, messageId, claim, { status, sid: taken.sid }));
    return true;
  }

  return {
    /**
     * Twilio's delivery report for a text we sent. Reports can arrive out of order: a final status is
     * never replaced, and `sent` never follows one.
     */
    async recordDeliveryReport(twilioSid: string, status: string, errorCode: number | null): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${SID_LOCK}), hashtext(${twilioSid}))`);
        const { rows } = await tx.execute<{ supporter_id: string; status: string }>(sql`
          SELECT supporter_id, status FROM outbound_messages WHERE twilio_sid = ${twilioSid}`);
        const message = rows[0];
        if (message) {
          if (message.status !== 'sending' && message.status !== 'sent') return;
          await tx.execute(sql`
            UPDATE outbound_messages SET status = ${status}::outbound_status,
              error_code = coalesce(${errorCode}::int, error_code), updated_at = now()
            WHERE twilio_sid = ${twilioSid} AND status IN ('sending', 'sent')`);
          if (errorCode === TWILIO_UNSUBSCRIBED) await markUnsubscribed(tx, message.supporter_id, clock());
          return;
        }
        // Before its send was recorded: kept for it (a final status is never replaced by another).
        await tx.execute(sql`
          INSERT INTO early_delivery_reports (message_sid, status, error_code)
          VALUES (${twilioSid}, ${status}::outbound_status, ${errorCode})
          ON CONFLICT (message_sid) DO UPDATE SET status = excluded.status,
            error_code = coalesce(excluded.error_code, early_delivery_reports.error_code)
          WHERE early_delivery_reports.status = 'sent'`);
        // Reports for texts never recorded here (sent by another system on the account) do not pile up.
        await tx.execute(
          sql`DELETE FROM early_delivery_reports WHERE received_at < now() - make_interval(days => ${EARLY_REPORTS_KEPT_DAYS})`,
        );
      });
    },

    /** Whether a broadcast waits (for quiet hours or a later time): the workers then look again at start. */
    async anyWaiting(): Promise<boolean> {
      const { rows } = await db.execute<{ any: boolean }>(
        sql`SELECT EXISTS (SELECT 1 FROM broadcasts WHERE status = 'waiting') AS any`,
      );
      return rows[0]?.any ?? false;
    },

    /** Writes the broadcast's messages batch by batch, each with its send job. */
    async fanOut(broadcastId: number): Promise<JobOutcome> {
      for (;;) {
        const result = await fanOutBatch(broadcastId);
        if (result === true) {
          await finishIfSent(db, broadcastId);
          return null;
        }
        if (result !== false) return result;
      }
    },

    /**
     * Sends one message. Opt-out is read in the same statement that claims the message, right before
     * Twilio is called, so a STOP that committed since the broadcast began is honoured. A message found
     * claimed by an attempt that got no clear answer (it died before recording Twilio's answer, or
     * Twilio timed out or answered 5xx) is looked up at Twilio first: taken → recorded with Twilio's sid;
     * not taken → sent now (or skipped, if the member has opted out since). A 4xx is a clear answer.
     */
    async send(messageId: number, options: { lastAttempt: boolean }): Promise<JobOutcome> {
      const waitMs = quietHoursWait(clock(), config.sms.quietHours);
      if (waitMs > 0 && !(await ignoresQuietHours(messageId))) {
        await db.execute(sql`
          UPDATE broadcasts SET status = 'waiting'
          WHERE status = 'sending' AND id = (SELECT broadcast_id FROM outbound_messages WHERE id = ${messageId})`);
        return { waitMs };
      }
      // An interrupted message of an erased member cannot be looked up (the number is gone): failed.
      const { rows } = await db.execute<ClaimRow>(sql`
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
      const claim = rows[0];
      // Already settled (a job run twice, or cancelled): nothing to do.
      if (!claim) return null;
      if (claim.broadcast_status === 'waiting') {
        await db.execute(
          sql`UPDATE broadcasts SET status = 'sending' WHERE id = ${claim.broadcast_id} AND status = 'waiting'`,
        );
      }
      if (claim.status !== 'sending' || !claim.phone_ciphertext || claim.body === null) {
        if (claim.status === 'sending') await settle(messageId, claim, { status: 'failed' });
        else if (claim.broadcast_id !== null) await finishIfSent(db, claim.broadcast_id);
        return null;
      }
      const sms = { to: phoneCrypto.decrypt(claim.phone_ciphertext), body: claim.body };
      const taken = claim.interrupted && (await settledAtTwilio(messageId, claim, sms));
      const error = taken ? null : await sendHoldingMember(messageId, claim, sms);
      if (error === null) {
        if (claim.broadcast_id !== null) await finishIfSent(db, claim.broadcast_id);
        return null;
      }
      // An unclear answer (Twilio may have taken it) is retried through a look-up, so it counts as retrying.
      const retrying = error.unclear || (error.retryable && !options.lastAttempt);
      metrics.smsOutbound.inc({ outcome: retrying ? 'retrying' : 'failed', code: codeLabel(error.code) });
      if (error.unclear) {
        // Twilio may have taken it: it stays claimed (keeping its claim's time), so whichever attempt
        // comes next, this job's or the stuck-text watchdog's, looks it up before sending anything.
        await db.execute(
          sql`UPDATE outbound_messages SET error_code = ${error.code} WHERE id = ${messageId}`,
        );
        throw error;
      }
      if (retrying) {
        await db.execute(sql`
          UPDATE outbound_messages SET status = 'queued', error_code = ${error.code}, updated_at = now()
          WHERE id = ${messageId}`);
        throw error;
      }
      logger.warn({ messageId, reason: error.message }, 'text not sent');
      await settle(messageId, claim, { status: 'failed', errorCode: error.code });
      return null;
    },

    /**
     * Whether sending this message would call Twilio (and so needs a token of the rate limiter): not
     * when it is already settled, cancelled, or to a member who has opted out or been erased.
     */
    async wouldSend(messageId: number): Promise<boolean> {
      const { rows } = await db.execute<{ sends: boolean }>(sql`
        SELECT m.status = 'sending' OR (m.status = 'queued' AND s.erased_at IS NULL
          AND s.phone_ciphertext IS NOT NULL AND (s.opted_in OR m.in_reply_to IS NOT NULL)) AS sends
        FROM outbound_messages m JOIN supporters s ON s.id = m.supporter_id
        WHERE m.id = ${messageId}`);
      return rows[0]?.sends ?? false;
    },
  };
}
