import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Db, Tx } from '../db/client.js';
import { lockMemberOptIn, markUnsubscribed } from '../members/repository.js';
import type { Metrics } from '../ops/metrics.js';
import { SmsSendError, type SmsSender, TWILIO_UNSUBSCRIBED } from '../sms/sender.js';
import type { PhoneCrypto } from '../supporters/phone.js';
import {
  applyDeliveryReport,
  type ClaimedMessage,
  claimMessage,
  deleteEarlyDeliveryReportsOlderThan,
  keepEarlyDeliveryReport,
  limitIdleTransaction,
  lockTwilioSid,
  messageBySid,
  messageIgnoresQuietHours,
  messageWouldSend,
  recordMessageOutcome,
  requeueMessage,
  setMessageErrorCode,
  takeEarlyDeliveryReport,
  writeFanOutBatch,
} from './messages.repository.js';
import { broadcastHold, quietHoursWait } from './quiet-hours.js';
import {
  anyBroadcastWaiting,
  finishBroadcastIfSent,
  lockBroadcast,
  markBroadcastOfMessageWaiting,
  markBroadcastSendingAgain,
  markBroadcastWaiting,
  recordFanOutBatch,
} from './repository.js';

/** An early report whose send is never recorded (not ours) is dropped after this. */
const EARLY_REPORTS_KEPT_DAYS = 1;
/**
 * Twilio's statuses recorded on a message; an earlier one (accepted, queued, sending) is recorded as
 * sent.
 */
const RECORDED_STATUSES = new Set(['sent', 'delivered', 'undelivered', 'failed']);

/**
 * Recipients written per transaction: a million-member network is 200 transactions of well under a
 * second each.
 */
export const FAN_OUT_BATCH = 5_000;

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

export function createBroadcastSendingService({
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
      const broadcast = await lockBroadcast(tx, broadcastId);
      if (!broadcast || broadcast.fannedOutAt !== null) return true;
      if (broadcast.status === 'cancelled' || broadcast.status === 'done') return true;
      const now = clock();
      const hold = broadcastHold(now, config.sms.quietHours, {
        ignoresQuietHours: broadcast.ignoresQuietHours,
        sendAfter: broadcast.sendAfter,
      });
      if (hold) {
        await markBroadcastWaiting(tx, broadcastId);
        // In steps, so that quiet hours switched off (a restart) or a new time is seen within one.
        return { waitMs: Math.min(hold.until.getTime() - now.getTime(), HOLD_STEP_MS) };
      }
      const batch = await writeFanOutBatch(tx, {
        broadcastId,
        audience: broadcast.audience,
        campaignId: broadcast.campaignId,
        batchId: broadcast.batchId,
        // The audience as it was counted and confirmed when the broadcast was made.
        frozen:
          broadcast.audienceUpTo === null
            ? undefined
            : { upTo: broadcast.audienceUpTo, at: broadcast.createdAt },
        segments: broadcast.segments,
        after: broadcast.fannedOutTo,
        limit: FAN_OUT_BATCH,
      });
      const complete = batch.seen < FAN_OUT_BATCH;
      await recordFanOutBatch(tx, broadcastId, {
        fannedOutTo: batch.lastId ?? broadcast.fannedOutTo,
        fannedOutAt: complete ? clock() : null,
      });
      return complete;
    });
  }

  type Change = { status: string; errorCode?: number | null; sid?: string };

  /**
   * Records how a message ended, in `q` (the send's own transaction, which holds the member). With a
   * sid, a delivery report Twilio sent before this commits (kept by recordDeliveryReport) is applied:
   * both take the sid's lock, so the report is either kept before and found here, or comes after and
   * finds the message.
   */
  async function record(q: Tx, messageId: number, claim: ClaimedMessage, change: Change) {
    let errorCode = change.errorCode ?? null;
    if (change.sid) {
      await lockTwilioSid(q, change.sid);
      const early = await takeEarlyDeliveryReport(q, change.sid);
      if (early) {
        change = { ...change, status: early.status };
        errorCode = early.errorCode ?? errorCode;
      }
    }
    await recordMessageOutcome(q, messageId, {
      status: change.status,
      errorCode,
      sid: change.sid ?? null,
    });
    if (errorCode === TWILIO_UNSUBSCRIBED) await markUnsubscribed(q, claim.supporterId, clock());
  }

  async function settle(messageId: number, claim: ClaimedMessage, change: Change) {
    // A transaction only when two rows change: most messages are one statement.
    if (change.errorCode === TWILIO_UNSUBSCRIBED) {
      await db.transaction((tx) => record(tx, messageId, claim, change));
    } else {
      await record(db, messageId, claim, change);
    }
    if (claim.broadcastId !== null) await finishBroadcastIfSent(db, claim.broadcastId);
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
    claim: ClaimedMessage,
    sms: { to: string; body: string },
  ): Promise<SmsSendError | null> {
    return db.transaction(async (tx) => {
      await limitIdleTransaction(tx, config.twilio.timeoutMs + 5_000);
      const optedIn = await lockMemberOptIn(tx, claim.supporterId);
      // A reply to a spooled text is an answer, not a broadcast: a STOP's confirmation must go.
      if (!claim.reply && !optedIn) {
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
    claim: ClaimedMessage,
    sms: { to: string; body: string },
  ): Promise<boolean> {
    const taken = await sender.findSent(sms, claim.claimedAt);
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
        await lockTwilioSid(tx, twilioSid);
        const message = await messageBySid(tx, twilioSid);
        if (message) {
          if (message.status !== 'sending' && message.status !== 'sent') return;
          await applyDeliveryReport(tx, twilioSid, status, errorCode);
          if (errorCode === TWILIO_UNSUBSCRIBED) await markUnsubscribed(tx, message.supporterId, clock());
          return;
        }
        // Before its send was recorded: kept for it (a final status is never replaced by another).
        await keepEarlyDeliveryReport(tx, twilioSid, status, errorCode);
        // Reports for texts never recorded here (sent by another system on the account) do not pile up.
        await deleteEarlyDeliveryReportsOlderThan(tx, EARLY_REPORTS_KEPT_DAYS);
      });
    },

    /** Whether a broadcast waits (for quiet hours or a later time): the workers then look again at start. */
    async anyWaiting(): Promise<boolean> {
      return anyBroadcastWaiting(db);
    },

    /** Writes the broadcast's messages batch by batch, each with its send job. */
    async fanOut(broadcastId: number): Promise<JobOutcome> {
      for (;;) {
        const result = await fanOutBatch(broadcastId);
        if (result === true) {
          await finishBroadcastIfSent(db, broadcastId);
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
      // Replies to spooled texts are answers, not broadcasts, and staff may send a broadcast "now
      // anyway": quiet hours hold neither.
      if (waitMs > 0 && !(await messageIgnoresQuietHours(db, messageId))) {
        await markBroadcastOfMessageWaiting(db, messageId);
        return { waitMs };
      }
      const claim = await claimMessage(db, messageId);
      // Already settled (a job run twice, or cancelled): nothing to do.
      if (!claim) return null;
      if (claim.broadcastStatus === 'waiting' && claim.broadcastId !== null) {
        await markBroadcastSendingAgain(db, claim.broadcastId);
      }
      if (claim.status !== 'sending' || !claim.phoneCiphertext || claim.body === null) {
        if (claim.status === 'sending') await settle(messageId, claim, { status: 'failed' });
        else if (claim.broadcastId !== null) await finishBroadcastIfSent(db, claim.broadcastId);
        return null;
      }
      const sms = { to: phoneCrypto.decrypt(claim.phoneCiphertext), body: claim.body };
      const taken = claim.interrupted && (await settledAtTwilio(messageId, claim, sms));
      const error = taken ? null : await sendHoldingMember(messageId, claim, sms);
      if (error === null) {
        if (claim.broadcastId !== null) await finishBroadcastIfSent(db, claim.broadcastId);
        return null;
      }
      // An unclear answer (Twilio may have taken it) is retried through a look-up, so it counts as retrying.
      const retrying = error.unclear || (error.retryable && !options.lastAttempt);
      metrics.smsOutbound.inc({ outcome: retrying ? 'retrying' : 'failed', code: codeLabel(error.code) });
      if (error.unclear) {
        // Twilio may have taken it: it stays claimed (keeping its claim's time), so whichever attempt
        // comes next, this job's or the stuck-text watchdog's, looks it up before sending anything.
        await setMessageErrorCode(db, messageId, error.code);
        throw error;
      }
      if (retrying) {
        await requeueMessage(db, messageId, error.code);
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
      return messageWouldSend(db, messageId);
    },
  };
}

export type BroadcastSendingService = ReturnType<typeof createBroadcastSendingService>;
