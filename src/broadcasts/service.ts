import { campaignStatusById } from '../campaigns/repository.js';
import type { Config } from '../config.js';
import type { Db, Tx } from '../db/client.js';
import { AppError, notFound } from '../errors.js';
import { latestBatchIds } from '../fax/batches.repository.js';
import type { ReceiptsService } from '../fax/receipts.js';
import { highestSupporterId } from '../members/repository.js';
import { enqueue } from '../queue/outbox.repository.js';
import { twilioErrorMeaning } from '../sms/error-codes.js';
import { recordAudit } from '../staff/audit.repository.js';
import { AUDIENCES, type Audience, type AudienceChoice, audienceName, parseAudience } from './audience.js';
import { countAudience } from './audience.repository.js';
import { type ComposedBroadcast, composeBroadcast, MAX_BROADCAST_SEGMENTS } from './compose.js';
import { cancelQueuedMessages, failureCounts } from './messages.repository.js';
import { broadcastHold, describeHold, type Hold } from './quiet-hours.js';
import {
  broadcastProgress,
  broadcastsOfCampaign,
  cancelBroadcast,
  clearBroadcastHold,
  insertBroadcast,
  latestRepeat,
  lockBroadcast,
  lockBroadcastCreation,
  rescheduleBroadcast,
  unfinishedBroadcasts,
} from './repository.js';

export interface BroadcastInput {
  body: string;
  /** One of AUDIENCES, or `batch:<id>`. */
  audience: string;
  /** The audience size as staff confirmed it: needed above `BROADCAST_CONFIRM_ABOVE`, within 10% of it. */
  confirm?: number | undefined;
  /** Acknowledges the same text to the same audience within the hour. */
  confirmRepeat?: boolean | undefined;
  /** Look-alikes replaced by GSM-7 characters before counting (on unless false). */
  smartEncoding?: boolean | undefined;
  /** "Send now anyway": quiet hours do not hold this broadcast (audited). */
  ignoreQuietHours?: boolean | undefined;
}

/** In a body to a `batch:<id>` audience: who received the batch and when, the same for everyone. */
export const RECEIPT_PLACEHOLDER = '{receipt}';

/** How long the same text to the same audience asks for a second confirmation. */
export const REPEAT_WINDOW_MS = 60 * 60_000;
/** How far a confirmed audience size may be from the audience counted at sending. */
export const CONFIRM_TOLERANCE = 0.1;

const people = (n: number) => (n === 1 ? '1 person' : `${n} people`);

/** Whether `confirm` is close enough to the audience counted now. */
export function confirmMatches(confirm: number, audienceSize: number): boolean {
  return Math.abs(confirm - audienceSize) <= CONFIRM_TOLERANCE * audienceSize;
}

/** What the sending knows about holds: the clock and SMS_QUIET_HOURS. */
interface HoldContext {
  now: Date;
  quietHours: Config['sms']['quietHours'];
  timeZone: string;
}

/** A hold as the API shows it: why, until when, and in words. */
function holdView(hold: Hold | null, context: HoldContext) {
  return (
    hold && {
      reason: hold.reason,
      until: hold.until,
      message: describeHold(hold, context.now, context.timeZone),
    }
  );
}

async function progress(tx: Tx, id: number, context: HoldContext) {
  const row = await broadcastProgress(tx, id);
  if (!row) throw notFound('Broadcast');
  const failures = await failureCounts(tx, id);
  const timing = { ignoresQuietHours: row.ignoresQuietHours, sendAfter: row.sendAfter };
  const unfinished = row.status === 'waiting' || row.status === 'queued' || row.status === 'sending';
  const hold = unfinished ? broadcastHold(context.now, context.quietHours, timing) : null;
  // Cancelled: everyone not handled was not sent, whether their text was written or not yet.
  const notSent =
    row.status === 'cancelled'
      ? Math.max(row.cancelled, row.total - row.sent - row.failed - row.skippedOptedOut)
      : row.cancelled;
  return {
    id: row.id,
    campaignId: row.campaignId,
    audience: audienceName(row.audience, row.batchId),
    status: row.status,
    /** Why and until when it waits (quiet hours, a later time); null when it is not held. */
    waiting: holdView(hold, context),
    ignoresQuietHours: timing.ignoresQuietHours,
    sendAfter: timing.sendAfter,
    /** Whether texts have been written yet: a broadcast can be rescheduled only before. */
    started: row.started,
    cancelledAt: row.cancelledAt,
    total: row.total,
    queued: row.queued,
    sent: row.sent,
    delivered: row.delivered,
    failed: row.failed,
    failures: failures.map((f) => ({
      errorCode: f.errorCode,
      count: f.count,
      meaning: twilioErrorMeaning(f.errorCode),
    })),
    skippedOptedOut: row.skippedOptedOut,
    cancelled: notSent,
    segments: row.segments,
    encoding: row.encoding,
    body: row.body,
    createdAt: row.createdAt,
  };
}

export type BroadcastProgress = Awaited<ReturnType<typeof progress>>;

function composeOrRefuse(body: string, input: BroadcastInput, optOutHint: string): ComposedBroadcast {
  const composed = composeBroadcast(body, optOutHint, { smartEncoding: input.smartEncoding });
  if (composed.segments > MAX_BROADCAST_SEGMENTS) {
    throw new AppError(
      400,
      'body_too_long',
      `With the opt-out hint this text takes ${composed.segments} segments; ` +
        `at most ${MAX_BROADCAST_SEGMENTS} are sent.`,
      'body',
    );
  }
  return composed;
}

/** The broadcast, locked; 404 when there is none, 409 when it is finished or cancelled. */
async function lockUnfinished(tx: Tx, id: number) {
  const row = await lockBroadcast(tx, id);
  if (!row) throw notFound('Broadcast');
  if (row.status === 'done') throw new AppError(409, 'broadcast_finished', 'This broadcast has been sent.');
  if (row.status === 'cancelled')
    throw new AppError(409, 'broadcast_cancelled', 'This broadcast was cancelled.');
  return row;
}

export function createBroadcastsService({
  db,
  clock,
  config,
  receipts,
}: {
  db: Db;
  clock: () => Date;
  config: Config;
  receipts: Pick<ReceiptsService, 'receiptSentence'>;
}) {
  /**
   * The body with `{receipt}` filled in for a `batch:` audience (409 unless the batch is the campaign's and
   * received).
   */
  async function expandReceipt(campaignId: number, body: string, batchId: number | null): Promise<string> {
    if (batchId === null) {
      if (body.includes(RECEIPT_PLACEHOLDER)) {
        throw new AppError(
          400,
          'receipt_needs_batch',
          '{receipt} can only be sent to a batch:<id> audience.',
          'body',
        );
      }
      return body;
    }
    const found = await receipts.receiptSentence(campaignId, batchId);
    if (!found.ok) {
      throw found.reason === 'not_in_campaign'
        ? new AppError(409, 'batch_not_in_campaign', `Fax batch ${batchId} is not a batch of this campaign.`)
        : new AppError(
            409,
            'batch_not_received',
            `Not every target has received fax batch ${batchId} yet: its signers can be told once all have.`,
          );
    }
    return body.replaceAll(RECEIPT_PLACEHOLDER, found.sentence);
  }

  /** The audience chosen and the text as it will arrive, or a 4xx saying what is wrong with them. */
  async function compose(campaignId: number, input: BroadcastInput) {
    if (input.body.trim() === '') throw new AppError(400, 'empty_body', 'A broadcast needs a text.', 'body');
    const choice = parseAudience(input.audience);
    if (!choice) throw new AppError(400, 'invalid_audience', 'Choose who to send it to.', 'audience');
    const body = await expandReceipt(campaignId, input.body, choice.batchId);
    return { choice, composed: composeOrRefuse(body, input, config.optOutHint) };
  }

  const holdContext = (): HoldContext => ({
    now: clock(),
    quietHours: config.sms.quietHours,
    timeZone: config.orgTimezone,
  });

  const costOf = (people: number, segments: number) =>
    Math.round(people * segments * config.sms.pricePerSegment * 100) / 100;

  async function quote(
    tx: Tx,
    campaignId: number,
    choice: AudienceChoice,
    composed: ComposedBroadcast,
    ignoreQuietHours: boolean,
  ) {
    const campaignStatus = await campaignStatusById(tx, campaignId);
    if (!campaignStatus) throw notFound('Campaign');
    // Alerts and reminders ask people to sign, which only an open campaign takes.
    const audience = audienceName(choice.audience, choice.batchId);
    if (choice.audience !== 'signers' && choice.audience !== 'batch' && campaignStatus !== 'open') {
      throw new AppError(409, 'campaign_not_open', `Only an open campaign can be sent to ${audience}.`);
    }
    const audienceSize = await countAudience(tx, choice.audience, campaignId, choice.batchId);
    const repeat = await latestRepeat(tx, campaignId, choice, composed.text, REPEAT_WINDOW_MS / 1000);
    const context = holdContext();
    const hold = broadcastHold(context.now, context.quietHours, {
      ignoresQuietHours: false,
      sendAfter: null,
    });
    return {
      ...composed,
      audience,
      audienceSize,
      cost: costOf(audienceSize, composed.segments),
      currency: config.currency,
      pricePerSegment: config.sms.pricePerSegment,
      /** Above the threshold, staff type the audience size. */
      typedConfirmation: audienceSize > config.sms.confirmAbove,
      repeatOf: repeat ? { id: repeat.id, createdAt: repeat.createdAt } : null,
      /** Quiet hours now: when it would go out unless sent "now anyway". */
      quietHours: holdView(hold, context),
      /** When it goes out: now (null), or when quiet hours end. */
      goesOutAt: hold && !ignoreQuietHours ? hold.until : null,
    };
  }

  return {
    /**
     * What a broadcast would be if sent now: the text as it will arrive, its segments and encoding,
     * the audience counted now, the cost, whether staff must type the audience size, and the same
     * text's broadcast to the same audience within the hour, if any.
     */
    async preview(campaignId: number, input: BroadcastInput) {
      const { choice, composed } = await compose(campaignId, input);
      return db.transaction(async (tx) =>
        quote(tx, campaignId, choice, composed, input.ignoreQuietHours === true),
      );
    },

    /**
     * Counts the audience, checks the confirmation against it, freezes it and queues the fan-out;
     * during quiet hours the broadcast starts out waiting. Without a sufficient confirmation: 409 with
     * the numbers to confirm.
     */
    async create(campaignId: number, input: BroadcastInput, actorId: number | null) {
      const { choice, composed } = await compose(campaignId, input);
      return db.transaction(async (tx) => {
        // One broadcast made at a time per campaign, so that a double click meets the first as a repeat.
        await lockBroadcastCreation(tx, campaignId);
        const ignoreQuietHours = input.ignoreQuietHours === true;
        const quoted = await quote(tx, campaignId, choice, composed, ignoreQuietHours);
        const { audienceSize } = quoted;
        const numbers = {
          audienceSize,
          segments: composed.segments,
          encoding: composed.encoding,
          cost: quoted.cost,
          currency: config.currency,
          // In quiet hours: when it goes out (null: now, sent anyway) and why.
          ...(quoted.quietHours
            ? { goesOutAt: quoted.goesOutAt?.toISOString() ?? null, quietHours: quoted.quietHours.message }
            : {}),
        };
        // Said with every confirmation asked for: when it goes out, and how to send it anyway.
        const when =
          quoted.quietHours && !ignoreQuietHours
            ? ` Quiet hours: ${quoted.quietHours.message.replace(/^quiet hours /, '')}; ` +
              `send "ignoreQuietHours": true to send it now anyway.`
            : '';
        if (
          input.confirm === undefined
            ? quoted.typedConfirmation
            : !confirmMatches(input.confirm, audienceSize)
        ) {
          throw new AppError(
            409,
            'confirmation_required',
            input.confirm === undefined
              ? `This goes to ${people(audienceSize)}: confirm by sending their number as "confirm".${when}`
              : `You confirmed ${people(input.confirm)}, but the audience is now ${audienceSize}: ` +
                  `confirm the new number.${when}`,
            'confirm',
            numbers,
          );
        }
        if (quoted.repeatOf && input.confirmRepeat !== true) {
          throw new AppError(
            409,
            'repeat_confirmation_required',
            `The same text went to the same audience at ${quoted.repeatOf.createdAt.toISOString()} ` +
              `(broadcast ${quoted.repeatOf.id}): send "confirmRepeat": true to send it again.${when}`,
            'confirmRepeat',
            { ...numbers, repeatOf: quoted.repeatOf.id },
          );
        }
        const waiting = quoted.goesOutAt !== null;
        const row = await insertBroadcast(tx, {
          campaignId,
          audience: choice.audience,
          batchId: choice.batchId,
          body: composed.text,
          segments: composed.segments,
          encoding: composed.encoding,
          status: waiting ? 'waiting' : 'queued',
          total: audienceSize,
          audienceUpTo: await highestSupporterId(tx),
          ignoresQuietHours: ignoreQuietHours,
          createdBy: actorId,
        });
        if (!row) throw new Error('insert returned no broadcast');
        await enqueue(tx, 'broadcasts', 'fan-out', { broadcastId: row.id });
        await recordAudit(tx, {
          staffId: actorId,
          action: 'broadcast.create',
          entityType: 'broadcast',
          entityId: row.id,
          after: {
            campaignId,
            audience: quoted.audience,
            audienceSize,
            segments: composed.segments,
            encoding: composed.encoding,
            cost: quoted.cost,
            currency: config.currency,
            ...(input.confirm === undefined ? {} : { confirmed: input.confirm }),
            ...(quoted.repeatOf ? { repeatOf: quoted.repeatOf.id } : {}),
            ...(ignoreQuietHours ? { ignoresQuietHours: true } : {}),
          },
        });
        return {
          id: row.id,
          status: row.status,
          audienceSize,
          segments: composed.segments,
          encoding: composed.encoding,
          estimatedCost: quoted.cost,
          currency: config.currency,
          goesOutAt: quoted.goesOutAt,
        };
      });
    },

    progress: (id: number) => progress(db, id, holdContext()),

    /**
     * "Send now anyway": a broadcast not yet finished goes out at once, whatever quiet hours or the
     * time it was rescheduled to say; for this broadcast only, audited.
     */
    async sendNow(id: number, actorId: number | null) {
      return db.transaction(async (tx) => {
        const before = await lockUnfinished(tx, id);
        await clearBroadcastHold(tx, id);
        // A fresh fan-out runs at once (the sleeping one finds nothing left); texts asleep are woken.
        await enqueue(tx, 'broadcasts', 'fan-out', { broadcastId: id });
        await enqueue(tx, 'broadcasts', 'release', { broadcastId: id });
        await recordAudit(tx, {
          staffId: actorId,
          action: 'broadcast.send-now',
          entityType: 'broadcast',
          entityId: id,
          before: {
            status: before.status,
            ignoresQuietHours: before.ignoresQuietHours,
            sendAfter: before.sendAfter,
          },
          after: { ignoresQuietHours: true, sendAfter: null },
        });
        return progress(tx, id, holdContext());
      });
    },

    /**
     * A later time for a broadcast whose texts are not written yet (quiet hours still apply then,
     * unless it was sent "now anyway"). The waiting job looks again within HOLD_STEP_MS.
     */
    async reschedule(id: number, sendAt: Date, actorId: number | null) {
      if (Number.isNaN(sendAt.getTime()) || sendAt <= clock()) {
        throw new AppError(400, 'send_at_past', 'Choose a time in the future.', 'sendAt');
      }
      return db.transaction(async (tx) => {
        const before = await lockUnfinished(tx, id);
        if (before.fannedOutTo > 0 || before.fannedOutAt !== null) {
          throw new AppError(
            409,
            'broadcast_started',
            'Texts of this broadcast have been written already: send it now, or cancel the rest.',
          );
        }
        await rescheduleBroadcast(tx, id, sendAt);
        await recordAudit(tx, {
          staffId: actorId,
          action: 'broadcast.reschedule',
          entityType: 'broadcast',
          entityId: id,
          before: { status: before.status, sendAfter: before.sendAfter },
          after: { status: 'waiting', sendAfter: sendAt.toISOString() },
        });
        return progress(tx, id, holdContext());
      });
    },

    /** Who each audience would reach now, counted as a broadcast to it counts them. */
    async audienceSizes(campaignId: number): Promise<Record<Audience, number>> {
      const sizes = {} as Record<Audience, number>;
      for (const audience of AUDIENCES) sizes[audience] = await countAudience(db, audience, campaignId);
      return sizes;
    },

    /**
     * The campaign's latest fax batches that every target has received, each with the `{receipt}`
     * sentence and who a `batch:<id>` broadcast would reach now: the choices of a delivery notice.
     */
    async receivedBatches(campaignId: number, limit = 5) {
      const batchIds = await latestBatchIds(db, campaignId, limit);
      const received: Array<{ batchId: number; sentence: string; audienceSize: number }> = [];
      for (const id of batchIds) {
        const found = await receipts.receiptSentence(campaignId, id);
        if (!found.ok) continue;
        const audienceSize = await countAudience(db, 'batch', campaignId, id);
        received.push({ batchId: id, sentence: found.sentence, audienceSize });
      }
      return received;
    },

    /**
     * Broadcasts still going out (queued, waiting for the morning, or sending), with what is handled so far.
     */
    async unfinished() {
      const rows = await unfinishedBroadcasts(db);
      return rows.map((row) => ({
        id: row.id,
        campaignId: row.campaignId,
        audience: audienceName(row.audience, row.batchId),
        status: row.status,
        total: row.total,
        handled: row.handled,
        createdAt: row.createdAt,
      }));
    },

    /** A campaign's broadcasts, newest first. */
    listForCampaign(campaignId: number, limit: number) {
      return broadcastsOfCampaign(db, campaignId, limit);
    },

    /** Stops the broadcast: messages not yet handed to Twilio are cancelled and their jobs skip them. */
    async cancel(id: number, actorId: number | null) {
      return db.transaction(async (tx) => {
        // The lock orders this after a fan-out batch in progress, which then sees the cancellation.
        const before = await lockBroadcast(tx, id);
        if (!before) throw notFound('Broadcast');
        if (before.status === 'done')
          throw new AppError(409, 'broadcast_finished', 'This broadcast has been sent.');
        if (before.status !== 'cancelled') {
          await cancelBroadcast(tx, id, clock());
          await cancelQueuedMessages(tx, id, clock());
          await recordAudit(tx, {
            staffId: actorId,
            action: 'broadcast.cancel',
            entityType: 'broadcast',
            entityId: id,
            before: { status: before.status },
            after: { status: 'cancelled' },
          });
        }
        return progress(tx, id, holdContext());
      });
    },
  };
}

export type BroadcastsService = ReturnType<typeof createBroadcastsService>;
