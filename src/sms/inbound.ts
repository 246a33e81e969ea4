import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Metrics } from '../ops/metrics.js';
import { normalisePhone, type PhoneCrypto } from '../supporters/phone.js';
import { type CampaignView, type Decision, decide, type SupporterView } from './conversation.js';
import { STORED_REPLY, TRY_AS_FIRST_CONTACT, WRITE_TEXT } from './inbound-sql.js';
import { parseIntent } from './intent.js';
import { createReplies } from './replies.js';

const E164 = /^\+[1-9]\d{7,14}$/;

/** Postgres text cannot hold NUL; nothing else a phone sends is refused. */
const storable = (body: string) => body.replaceAll('\u0000', '');

/** The terms a supporter accepts by texting us, recorded with their consent. */
export const SMS_TERMS_VERSION = 'sms-terms-2026-11';

export interface InboundText {
  messageSid: string;
  from: string;
  /** Which of our numbers was texted. */
  to: string | null;
  body: string;
  /** Set by Twilio Advanced Opt-Out when it has already answered a STOP/START/HELP. */
  optOutType: string | null;
}

export interface InboundAnswer {
  /** The text of the TwiML reply; '' answers with an empty TwiML. */
  reply: string;
  outcome: string;
  duplicate: boolean;
}

type StoredAnswer = {
  reply: string;
  suppressed: boolean;
};

/** The context columns of TRY_AS_FIRST_CONTACT, as pg returns them. */
type ContextRow = {
  duplicate: StoredAnswer | null;
  supporter: SupporterView | null;
  replies_last_hour: number;
  /** bigint ids come back as strings */
  signed: string[];
  campaigns: string;
  message_id: string | null;
  signature_id: string | null;
};

type WrittenRow = { message_id: string | null; signature_id: string | null };

interface CampaignRow {
  id: number;
  keyword: string;
  status: 'open' | 'closed';
  closesAt: string | null;
  replies: CampaignView['replies'];
}

export interface InboundDeps {
  database: Database;
  phoneCrypto: PhoneCrypto;
  config: Config;
  metrics: Metrics;
  clock: () => Date;
}

/**
 * Handles one inbound text: everything the conversation needs is read in one statement, the pure
 * conversation decides, and the decision is written in one statement (supporter, message and
 * signature chained), so nothing is ever half-written. A first contact — most of a flood — is
 * decided ahead and written by the reading statement itself: one round trip. Needs no Redis.
 */
export function createInboundService({ database, phoneCrypto, config, metrics, clock }: InboundDeps) {
  const replies = createReplies(config);
  /** The campaigns as last read, exactly as Postgres rendered them: the first-contact bet is made on them. */
  let lastCampaigns = { text: '', views: [] as CampaignView[] };

  function toCampaignViews(campaignsText: string, signed: readonly string[]): CampaignView[] {
    if (campaignsText !== lastCampaigns.text) {
      const views = (JSON.parse(campaignsText) as CampaignRow[]).map((c) => ({
        ...c,
        closesAt: c.closesAt ? new Date(c.closesAt) : null,
        signed: false,
      }));
      lastCampaigns = { text: campaignsText, views };
    }
    if (signed.length === 0) return lastCampaigns.views;
    const signedIds = new Set(signed.map(Number));
    return lastCampaigns.views.map((c) => ({ ...c, signed: signedIds.has(c.id) }));
  }

  function decideFor(
    text: InboundText,
    supporter: SupporterView | null,
    campaigns: CampaignView[],
    now: Date,
  ) {
    const intent = parseIntent(text.body, {
      campaignKeywords: campaigns.map((c) => c.keyword),
      joinKeywords: config.joinKeywords,
    });
    const twilioAnswered = config.twilio.managesOptOut && text.optOutType !== null;
    return decide({ intent, supporter, campaigns, now, twilioAnswered }, replies);
  }

  /** Parameters $1–$21, shared by both writes (see inbound-sql.ts). */
  function writeParams(
    text: InboundText,
    phone: string,
    phoneIndex: string,
    decision: Decision,
    suppressed: boolean,
    now: Date,
  ) {
    const { supporter: change, signature } = decision;
    return [
      phoneCrypto.encrypt(phone),
      phoneIndex,
      change.name ?? null,
      change.optedIn ?? true,
      change.noCall ?? false,
      // ISO text: pg's own Date formatting costs more than the rest of the parameters together.
      now.toISOString(),
      text.messageSid,
      SMS_TERMS_VERSION,
      change.source ?? 'sms',
      change.pending?.campaignId ?? null,
      change.pending?.attempts ?? 0,
      text.to,
      storable(text.body),
      decision.outcome,
      decision.campaignId,
      decision.reply,
      suppressed,
      signature?.campaignId ?? null,
      signature?.name ?? null,
      signature?.status ?? null,
      signature?.holdReason ?? null,
    ];
  }

  async function storedAnswer(messageSid: string): Promise<StoredAnswer> {
    const [stored] = await database.query<StoredAnswer>('inbound_stored_reply', STORED_REPLY, [messageSid]);
    if (!stored) throw new Error('a message that lost the insert race has no stored reply');
    return stored;
  }

  const answerOf = (stored: StoredAnswer) => (stored.suppressed ? '' : stored.reply);

  function done(decision: Decision, written: WrittenRow, suppressed: boolean): InboundAnswer {
    metrics.smsInbound.inc({ outcome: suppressed ? `${decision.outcome}-unanswered` : decision.outcome });
    if (written.signature_id !== null && decision.signature) {
      metrics.signatures.inc({ status: decision.signature.status });
    }
    return { reply: suppressed ? '' : decision.reply, outcome: decision.outcome, duplicate: false };
  }

  async function duplicate(stored: StoredAnswer | null, messageSid: string): Promise<InboundAnswer> {
    metrics.smsInbound.inc({ outcome: 'duplicate' });
    return {
      reply: answerOf(stored ?? (await storedAnswer(messageSid))),
      outcome: 'duplicate',
      duplicate: true,
    };
  }

  return {
    async handle(text: InboundText): Promise<InboundAnswer> {
      // Twilio sends E.164 already; parsing is only needed for anything else.
      const phone = E164.test(text.from) ? text.from : normalisePhone(text.from);
      if (!phone) {
        metrics.smsInbound.inc({ outcome: 'invalid-sender' });
        return { reply: '', outcome: 'invalid-sender', duplicate: false };
      }
      const phoneIndex = phoneCrypto.blindIndex(phone);
      const now = clock();

      // The bet: an unknown number, campaigns as last seen (no flood guard count, no signature yet).
      const betCampaigns = lastCampaigns.text;
      const bet = betCampaigns ? decideFor(text, null, lastCampaigns.views, now) : null;
      const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
      // Without campaigns seen yet there is no bet: '' never matches, so the statement only reads.
      const [context] = await database.query<ContextRow>('inbound_try_first_contact', TRY_AS_FIRST_CONTACT, [
        ...writeParams(text, phone, phoneIndex, bet ?? decideFor(text, null, [], now), false, now),
        betCampaigns,
        hourAgo,
      ]);
      if (!context) throw new Error('the first-contact statement returned no context');
      if (bet && context.message_id !== null) return done(bet, context, false);
      if (context.duplicate) return duplicate(context.duplicate, text.messageSid);

      const decision = decideFor(
        text,
        context.supporter,
        toCampaignViews(context.campaigns, context.signed),
        now,
      );
      const suppressed =
        decision.reply !== '' &&
        !decision.alwaysReply &&
        context.replies_last_hour >= config.sms.repliesPerHour;
      const { supporter: change } = decision;
      const [written] = await database.query<WrittenRow>('inbound_write_text', WRITE_TEXT, [
        ...writeParams(text, phone, phoneIndex, decision, suppressed, now),
        change.name !== undefined,
        change.optedIn !== undefined,
        change.consent ?? false,
        change.source !== undefined,
        change.pending !== undefined,
      ]);
      if (!written || written.message_id === null) return duplicate(null, text.messageSid);
      return done(decision, written, suppressed);
    },
  };
}
