import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Metrics } from '../ops/metrics.js';
import { normalisePhone, type PhoneCrypto } from '../supporters/phone.js';
import {
  type BetResult,
  createFirstContactWriter,
  createTextWriter,
  type StoredAnswer,
  type Written,
} from './batches.js';
import { type CampaignView, type Decision, decide, type SupporterView } from './conversation.js';
import type { InputRow } from './inbound-sql.js';
import { parseIntent } from './intent.js';
import { createReceiptLookup } from './receipt-status.js';
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
  /** When it reached us, if not now: a spooled text replayed later. */
  receivedAt?: Date;
}

export interface InboundAnswer {
  /** The text of the TwiML reply; '' answers with an empty TwiML. */
  reply: string;
  outcome: string;
  duplicate: boolean;
}

/** The sender's number as stored: encrypted (once per text), and its blind index. */
type Sender = { phone_ciphertext: string; phone_index: string };

/** The supporter as a text's decision was made on: none, or a row at a version. */
type Seen = Pick<BetResult, 'supporter' | 'supporter_version'>;
const NOBODY: Seen = { supporter: null, supporter_version: null };

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
 * signature chained), so nothing is ever half-written. A first contact is decided ahead and written
 * by the reading statement itself: one round trip. Texts arriving together share each statement,
 * so a flood of new supporters or of known members costs a statement and a commit per batch, not per
 * text. STOP and START run at once in statements of their own. Needs no Redis.
 */
export function createInboundService({ database, phoneCrypto, config, metrics, clock }: InboundDeps) {
  const replies = createReplies(config);
  const firstContacts = createFirstContactWriter(database);
  const texts = createTextWriter(database);
  const receiptState = createReceiptLookup(database);

  /** RECEIPT from a known supporter: the reply says where their name is, read now. */
  async function withReceipt(decision: Decision, phoneIndex: string): Promise<Decision> {
    if (!decision.receiptFor) return decision;
    const { campaignId, keyword } = decision.receiptFor;
    const state = await receiptState(phoneIndex, campaignId, keyword);
    return { ...decision, reply: replies.receipt(state, config.orgTimezone) };
  }
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

  /** The text's row for both writes (see inbound-sql.ts): the supporter seen, changed as decided. */
  function inputRow(
    text: InboundText,
    sender: Sender,
    seen: Seen,
    decision: Decision,
    suppressed: boolean,
    now: Date,
  ): InputRow {
    const { supporter: change, signature } = decision;
    const known = seen.supporter;
    // Not `...sender`: Node 20 builds an object begun by a spread and extended with more properties
    // a hundred times slower (about 0.1 ms here, as much as the text's statements cost the process).
    return {
      phone_ciphertext: sender.phone_ciphertext,
      phone_index: sender.phone_index,
      supporter_version: seen.supporter_version,
      name: change.name ?? known?.name ?? null,
      opted_in: change.optedIn ?? known?.optedIn ?? true,
      no_call: change.noCall ?? false,
      pending_campaign_id: change.pending ? change.pending.campaignId : (known?.pendingCampaignId ?? null),
      pending_attempts: change.pending ? change.pending.attempts : (known?.pendingAttempts ?? 0),
      source: change.source ?? (known ? null : 'sms'),
      renew_consent: change.consent ?? false,
      consent_terms: SMS_TERMS_VERSION,
      // ISO text: pg's own Date formatting costs more than the rest of the row together.
      received_at: now.toISOString(),
      message_sid: text.messageSid,
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

  function done(decision: Decision, written: Written, suppressed: boolean): InboundAnswer {
    metrics.smsInbound.inc({ outcome: suppressed ? `${decision.outcome}-unanswered` : decision.outcome });
    if (written.signature_id !== null && decision.signature) {
      metrics.signatures.inc({ status: decision.signature.status });
    }
    return { reply: suppressed ? '' : decision.reply, outcome: decision.outcome, duplicate: false };
  }

  function duplicate(stored: StoredAnswer): InboundAnswer {
    metrics.smsInbound.inc({ outcome: 'duplicate' });
    return { reply: stored.suppressed ? '' : stored.reply, outcome: 'duplicate', duplicate: true };
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
      const now = text.receivedAt ?? clock();
      // Decided for an unknown number against the campaigns as last seen: the first-contact bet.
      // Without campaigns seen yet there is no bet: '' never matches, so the statement only reads.
      const campaignsText = lastCampaigns.text;
      const bet = decideFor(text, null, lastCampaigns.views, now);
      const betRow = inputRow(text, sender, NOBODY, bet, false, now);
      const alone = bet.outcome === 'opted-out' || bet.outcome === 'opted-in';

      // A text is read again when another text from its number was written after it was read.
      for (;;) {
        const context = await firstContacts.bet({ row: betRow, campaignsText, alone });
        if (context.message_id !== null) return done(bet, context, false);
        if (context.duplicate) return duplicate(context.duplicate);

        const decision = await withReceipt(
          decideFor(text, context.supporter, toCampaignViews(context.campaigns, context.signed), now),
          sender.phone_index,
        );
        const suppressed =
          decision.reply !== '' &&
          !decision.alwaysReply &&
          context.replies_last_hour >= config.sms.repliesPerHour;
        const written = await texts.write(inputRow(text, sender, context, decision, suppressed, now), {
          alone,
        });
        if (written.message_id !== null) return done(decision, written, suppressed);
      }
    },
  };
}
