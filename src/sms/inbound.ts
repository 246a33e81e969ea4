import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Metrics } from '../ops/metrics.js';
import { normalisePhone, type PhoneCrypto } from '../supporters/phone.js';
import { type CampaignView, type Decision, decide, type SupporterView } from './conversation.js';
import { createFirstContactWriter, type StoredAnswer } from './first-contacts.js';
import { type InputRow, inputParams, STORED_REPLY, WRITE_TEXT } from './inbound-sql.js';
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

/** The sender's number as stored: encrypted (once per text), and its blind index. */
type Sender = { phone_ciphertext: string; phone_index: string };

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
 * decided ahead and written by the reading statement itself, together with the other first
 * contacts arriving at the same time: one round trip. Needs no Redis.
 */
export function createInboundService({ database, phoneCrypto, config, metrics, clock }: InboundDeps) {
  const replies = createReplies(config);
  const firstContacts = createFirstContactWriter(database);
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

  /** The text's row for both writes (see inbound-sql.ts). */
  function inputRow(
    text: InboundText,
    sender: Sender,
    decision: Decision,
    suppressed: boolean,
    now: Date,
  ): InputRow {
    const { supporter: change, signature } = decision;
    return {
      ...sender,
      name: change.name ?? null,
      opted_in: change.optedIn ?? true,
      no_call: change.noCall ?? false,
      // ISO text: pg's own Date formatting costs more than the rest of the row together.
      received_at: now.toISOString(),
      message_sid: text.messageSid,
      consent_terms: SMS_TERMS_VERSION,
      source: change.source ?? 'sms',
      pending_campaign_id: change.pending?.campaignId ?? null,
      pending_attempts: change.pending?.attempts ?? 0,
      to_number: text.to,
      body: storable(text.body),
      outcome: decision.outcome,
      campaign_id: decision.campaignId,
      reply: decision.reply,
      reply_suppressed: suppressed,
      signature_campaign_id: signature?.campaignId ?? null,
      signature_name: signature?.name ?? null,
      signature_status: signature?.status ?? null,
      hold_reason: signature?.holdReason ?? null,
    };
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
      const sender = {
        phone_ciphertext: phoneCrypto.encrypt(phone),
        phone_index: phoneCrypto.blindIndex(phone),
      };
      const now = clock();

      // The bet: an unknown number, campaigns as last seen (no flood guard count, no signature yet).
      // Without campaigns seen yet there is no bet: '' never matches, so the statement only reads.
      const campaignsText = lastCampaigns.text;
      const bet = campaignsText ? decideFor(text, null, lastCampaigns.views, now) : null;
      const row = inputRow(text, sender, bet ?? decideFor(text, null, [], now), false, now);
      const context = await firstContacts.bet({ row, campaignsText });
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
        ...inputParams([inputRow(text, sender, decision, suppressed, now)]),
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
