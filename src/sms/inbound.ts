import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Metrics } from '../ops/metrics.js';
import { HOLD_RULES } from '../supporters/names.js';
import { normalisePhone, type PhoneCrypto } from '../supporters/phone.js';
import { createTextWriter, createTryWriter } from './batches.js';
import {
  type CampaignView,
  type Decision,
  decide,
  MEMBER_ON_FILE,
  NAME_ON_FILE,
  type SupporterView,
} from './conversation.js';
import type { RenderedCampaign, StoredAnswer, Written } from './inbound.repository.js';
import { type Intent, parseIntent } from './intent.js';
import { createReceiptLookup } from './receipt-status.js';
import { createReplies } from './replies.js';
import { decidedAheadRows, inputRow } from './rows.js';

const E164 = /^\+[1-9]\d{7,14}$/;

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

export interface InboundDeps {
  database: Database;
  phoneCrypto: PhoneCrypto;
  config: Config;
  metrics: Metrics;
  clock: () => Date;
}

/**
 * Handles one inbound text. It is decided ahead, before its number is read, twice: for an unknown
 * number, and for a member with a name on file who is opted in and has not signed (MEMBER_ON_FILE).
 * One statement reads the number and writes the decision that fits what it finds (supporter, message
 * and signature chained, so nothing is ever half-written); when neither fits, it writes nothing. So
 * a first contact and a member answering an action alert cost one round trip. Anyone else (a pending
 * question, opted out, RECEIPT) is decided on the context that statement read, and written by a
 * second. Texts arriving together share each statement, so a flood costs a statement and a commit per
 * batch, not per text. STOP and START run at once in statements of their own. Needs no Redis.
 */
export function createInboundService({ database, phoneCrypto, config, metrics, clock }: InboundDeps) {
  const replies = createReplies(config);
  const tries = createTryWriter(database, {
    repliesPerHour: config.sms.repliesPerHour,
    holdRules: HOLD_RULES,
    nameOnFile: NAME_ON_FILE,
  });
  const texts = createTextWriter(database);
  const receiptState = createReceiptLookup(database);

  /** RECEIPT from a known supporter: the reply says where their name is, read now. */
  async function withReceipt(decision: Decision, phoneIndex: string, optedIn: boolean): Promise<Decision> {
    if (!decision.receiptFor) return decision;
    const { campaignId, keyword } = decision.receiptFor;
    const state = await receiptState(phoneIndex, campaignId, keyword);
    return { ...decision, reply: replies.receipt(state, config.orgTimezone, optedIn) };
  }
  /** The campaigns as last read, exactly as Postgres rendered them: texts are decided ahead on them. */
  let lastCampaigns = { text: '', views: [] as CampaignView[] };

  function toCampaignViews(campaignsText: string, signed: readonly string[]): CampaignView[] {
    if (campaignsText !== lastCampaigns.text) {
      const views = (JSON.parse(campaignsText) as RenderedCampaign[]).map((c) => ({
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

  const intentOf = (text: InboundText, campaigns: CampaignView[]) =>
    parseIntent(text.body, {
      campaignKeywords: campaigns.map((c) => c.keyword),
      joinKeywords: config.joinKeywords,
    });

  function decideFor(
    text: InboundText,
    intent: Intent,
    supporter: SupporterView | null,
    campaigns: CampaignView[],
    now: Date,
  ) {
    const twilioAnswered = config.twilio.managesOptOut && text.optOutType !== null;
    return decide({ intent, supporter, campaigns, now, twilioAnswered }, replies);
  }

  function done(decision: Decision, written: Written, suppressed: boolean): InboundAnswer {
    metrics.smsInbound.inc({ outcome: suppressed ? `${decision.outcome}-unanswered` : decision.outcome });
    if (written.signature_id !== null && decision.signature) {
      metrics.signatures.inc({
        campaign: String(decision.signature.campaignId),
        status: decision.signature.status,
      });
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
      // Decided ahead against the campaigns as last seen. Without campaigns seen yet it is never
      // written ('' never matches), so the statement only reads.
      const campaignsText = lastCampaigns.text;
      const aheadIntent = intentOf(text, lastCampaigns.views);
      const asNew = decideFor(text, aheadIntent, null, lastCampaigns.views, now);
      const asMember = decideFor(text, aheadIntent, MEMBER_ON_FILE, lastCampaigns.views, now);
      const rows = decidedAheadRows(text, sender, asNew, asMember, now);
      // YES opts in an opted-out person: it goes alone like START.
      const alone =
        asNew.outcome === 'opted-out' || asNew.outcome === 'opted-in' || aheadIntent.kind === 'yes';

      // A text is read again when another text from its number was written after it was read.
      for (let round = 1; ; round++) {
        const context = await tries.tryWrite({ rows, campaignsText, alone });
        if (round === 1)
          metrics.smsDecidedAhead.inc({ result: context.message_id === null ? 'lost' : 'won' });
        if (context.message_id !== null) {
          // A member's reply carries their name on file, which the statement put in.
          const decision = context.written_kind === 'member' ? asMember : asNew;
          return done({ ...decision, reply: context.written_reply ?? decision.reply }, context, false);
        }
        if (context.duplicate) return duplicate(context.duplicate);

        const campaigns = toCampaignViews(context.campaigns, context.signed);
        const decision = await withReceipt(
          decideFor(text, intentOf(text, campaigns), context.supporter, campaigns, now),
          sender.phone_index,
          context.supporter?.optedIn ?? true,
        );
        const suppressed =
          decision.reply !== '' &&
          !decision.alwaysReply &&
          context.replies_last_hour >= config.sms.repliesPerHour;
        const row = inputRow(text, sender, context, decision, suppressed, now, 'any');
        const written = await texts.write(row, { alone });
        if (written.message_id !== null) return done(decision, written, suppressed);
      }
    },
  };
}

export type InboundService = ReturnType<typeof createInboundService>;
