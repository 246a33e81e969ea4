import type { CampaignReplies } from '../db/types.js';
import { checkName, type HoldReason, holdOnFile, type NameCheck } from '../supporters/names.js';
import type { Intent } from './intent.js';
import { NAME_ON_FILE, type Replies } from './replies.js';

/**
 * The supporter conversation as a pure function: what we know (the supporter, the campaigns whose
 * keywords are live) and what they texted → what to store and what to answer. The inbound service
 * reads the state and writes the decision; every rule of the dialogue lives here.
 */

export interface CampaignView {
  id: number;
  keyword: string;
  status: 'open' | 'closed';
  closesAt: Date | null;
  replies: CampaignReplies;
  /** Whether this supporter has a signature on it already (of any status). */
  signed: boolean;
}

export interface SupporterView {
  name: string | null;
  /** The name on file passed the current hold rules: it is not checked again. */
  nameCleared?: boolean;
  optedIn: boolean;
  /** A member of the network (signed, joined or imported); absent: one. */
  member?: boolean;
  pendingCampaignId: number | null;
  pendingAttempts: number;
}

/** Stands for the name on file in a decision made for MEMBER_ON_FILE; no name or reply holds it. */
export { NAME_ON_FILE };

/**
 * Any member who is opted in, has no question pending and whose name on file passed the hold rules,
 * deciding against campaigns none of which they signed. For a member whose state differs only where
 * the decision does not look (another campaign signed, or no name where the decision holds no
 * NAME_ON_FILE), the decision is the same with their name for NAME_ON_FILE: so a known member's text
 * is decided before their row is read, and written in the statement that reads it.
 */
export const MEMBER_ON_FILE: SupporterView = {
  name: NAME_ON_FILE,
  nameCleared: true,
  optedIn: true,
  pendingCampaignId: null,
  pendingAttempts: 0,
};

export type Outcome =
  | 'opted-out'
  | 'opted-in'
  | 'help'
  | 'joined'
  | 'nocall'
  | 'signed'
  | 'signed-held'
  | 'asked-spelling'
  | 'respelled'
  | 'receipt'
  | 'already-signed'
  | 'late'
  | 'asked-name'
  | 'asked-name-again'
  | 'gave-up-name'
  | 'unknown';

export interface SupporterChange {
  name?: string;
  /** Set with `name`: whether it passed the hold rules. */
  nameCleared?: boolean;
  optedIn?: boolean;
  noCall?: boolean;
  /**
   * Record this message as consent to our texts: 'give' (signing, joining) makes a member of the
   * network; 'renew' (START) records it again only for a member. Other texts make no member.
   */
  consent?: 'give' | 'renew';
  source?: string;
  pending?: { campaignId: number | null; attempts: number };
}

export interface NewSignature {
  campaignId: number;
  name: string | null;
  status: 'valid' | 'held' | 'late';
  holdReason: HoldReason | null;
}

export interface Decision {
  outcome: Outcome;
  /**
   * Set for RECEIPT from a known supporter: the reply says where their name is, which the caller reads
   * (the signature on this campaign, or their latest) and words with `replies.receipt`.
   */
  receiptFor?: { campaignId: number | null; keyword: string | null };
  /** '' means an empty TwiML answer. */
  reply: string;
  /** Sent even past the flood guard (an opt-out is always confirmed). */
  alwaysReply: boolean;
  campaignId: number | null;
  supporter: SupporterChange;
  signature: NewSignature | null;
}

export interface ConversationInput {
  intent: Intent;
  /** null on first contact. */
  supporter: SupporterView | null;
  campaigns: readonly CampaignView[];
  now: Date;
  /** Twilio Advanced Opt-Out already answered this STOP/START/HELP. */
  twilioAnswered: boolean;
}

const NO_PENDING = { campaignId: null, attempts: 0 } as const;

/** A supporter change to a name that passed validation. */
const named = (checked: Extract<NameCheck, { ok: true }>): SupporterChange => ({
  name: checked.name,
  nameCleared: checked.hold === null,
});

function decision(outcome: Outcome, reply: string, rest: Partial<Decision> = {}): Decision {
  return { outcome, reply, alwaysReply: false, campaignId: null, supporter: {}, signature: null, ...rest };
}

function hasClosed(campaign: CampaignView, now: Date): boolean {
  return campaign.status === 'closed' || (campaign.closesAt !== null && campaign.closesAt <= now);
}

export function decide(input: ConversationInput, replies: Replies): Decision {
  const { intent, supporter, campaigns, now } = input;
  const optedIn = supporter?.optedIn ?? true;
  const openKeywords = campaigns.filter((c) => !hasClosed(c, now)).map((c) => c.keyword);
  const answer = (text: string) => (input.twilioAnswered ? '' : text);

  /** Signs `campaign` with `name` (null only when late and we never learnt one). */
  const sign = (
    campaign: CampaignView,
    name: string | null,
    hold: HoldReason | null,
    change: SupporterChange,
  ) => {
    // Signing is consent to texts about the network's actions (a late signature too).
    const given: SupporterChange = { ...change, consent: 'give' };
    const base = { campaignId: campaign.id, supporter: { ...given, pending: NO_PENDING } };
    if (hasClosed(campaign, now)) {
      return decision('late', replies.late(campaign, optedIn), {
        ...base,
        signature: { campaignId: campaign.id, name, status: 'late', holdReason: null },
      });
    }
    if (name === null) throw new Error('an open campaign is signed with a name');
    const signature: NewSignature = {
      campaignId: campaign.id,
      name,
      status: hold ? 'held' : 'valid',
      holdReason: hold,
    };
    // A name the fax cannot draw: held, and a spelling in Latin or Cyrillic letters asked for, which
    // replaces it (the signature then goes on the fax once it passes).
    if (hold === 'unsupported-script') {
      return decision('asked-spelling', replies.askSpelling(campaign), {
        ...base,
        supporter: { ...given, pending: { campaignId: campaign.id, attempts: 0 } },
        signature,
      });
    }
    // Any other held name is told it will be checked, and not echoed back to the phone (an emoji
    // would also make the reply a dearer UCS-2 text).
    const reply = hold ? replies.thanksHeld(campaign) : replies.thanks(campaign, name, optedIn);
    return decision(hold ? 'signed-held' : 'signed', reply, { ...base, signature });
  };

  /**
   * START (or YES from an opted-out number) makes no member: one who never signed or joined is told how to.
   */
  const optIn = () => {
    const member = supporter !== null && supporter.member !== false;
    return decision('opted-in', answer(member ? replies.optedIn() : replies.optedInNotMember()), {
      supporter: { optedIn: true, consent: 'renew' },
    });
  };

  /**
   * The answer to "spell it in Latin or Cyrillic letters": the held name is replaced (the writer only
   * replaces a signature held for its script and not yet faxed). Asked once more, then left to staff.
   */
  const respell = (campaign: CampaignView, raw: string, attempts: number) => {
    const checked = checkName(raw);
    if (checked.ok && checked.hold !== 'unsupported-script') {
      const signed = sign(campaign, checked.name, checked.hold, named(checked));
      return signed.outcome === 'late' ? signed : { ...signed, outcome: 'respelled' as const };
    }
    if (attempts === 0) {
      const reply = checked.ok
        ? replies.askSpelling(campaign)
        : replies.askNameAgain(campaign, checked.problem);
      return decision('asked-name-again', reply, {
        campaignId: campaign.id,
        supporter: { pending: { campaignId: campaign.id, attempts: 1 } },
      });
    }
    return decision('gave-up-name', replies.spellingLeftToStaff(campaign), {
      campaignId: campaign.id,
      supporter: { pending: NO_PENDING },
    });
  };

  switch (intent.kind) {
    case 'opt-out':
      return decision('opted-out', answer(replies.optedOut()), {
        alwaysReply: true,
        supporter: { optedIn: false, pending: NO_PENDING },
      });
    case 'opt-in':
      return optIn();
    case 'yes':
      // Twilio unblocks an opted-out number on YES; for anyone else it is an ordinary text.
      if (supporter && !supporter.optedIn) return optIn();
      return decide({ ...input, intent: { kind: 'text', text: intent.text } }, replies);
    case 'help':
      return decision('help', answer(replies.help(openKeywords)));
    case 'nocall':
      return decision('nocall', replies.noCall(), { supporter: { noCall: true } });
    case 'receipt': {
      const campaign = intent.keyword === null ? null : campaigns.find((c) => c.keyword === intent.keyword);
      if (!supporter) return decision('receipt', replies.receiptNone(intent.keyword, openKeywords));
      return decision('receipt', '', {
        campaignId: campaign?.id ?? null,
        receiptFor: { campaignId: campaign?.id ?? null, keyword: intent.keyword },
      });
    }
    case 'join': {
      const checked = intent.name === null ? null : checkName(intent.name);
      const name = checked?.ok && checked.hold === null ? checked.name : null;
      const source = intent.source ? `join:${intent.source}` : 'join';
      return decision('joined', replies.joined(name), {
        supporter: {
          optedIn: true,
          consent: 'give',
          source,
          pending: NO_PENDING,
          ...(name ? { name, nameCleared: true } : {}),
        },
      });
    }
    case 'keyword': {
      const campaign = campaigns.find((c) => c.keyword === intent.keyword);
      if (!campaign) return decision('unknown', replies.unknown(openKeywords));
      if (campaign.signed && intent.name !== null && supporter?.pendingCampaignId === campaign.id) {
        return respell(campaign, intent.name, supporter.pendingAttempts);
      }
      if (campaign.signed) {
        return decision('already-signed', replies.alreadySigned(campaign, optedIn), {
          campaignId: campaign.id,
          supporter: supporter?.pendingCampaignId === campaign.id ? { pending: NO_PENDING } : {},
        });
      }
      if (intent.name !== null) {
        const checked = checkName(intent.name);
        if (checked.ok) return sign(campaign, checked.name, checked.hold, named(checked));
        if (hasClosed(campaign, now)) return sign(campaign, supporter?.name ?? null, null, {});
        return decision('asked-name-again', replies.askNameAgain(campaign, checked.problem), {
          campaignId: campaign.id,
          supporter: { pending: { campaignId: campaign.id, attempts: 1 } },
        });
      }
      if (supporter?.name) {
        const hold = supporter.nameCleared ? null : holdOnFile(supporter.name);
        return sign(campaign, supporter.name, hold, {});
      }
      if (hasClosed(campaign, now)) return sign(campaign, null, null, {});
      return decision('asked-name', replies.askName(campaign), {
        campaignId: campaign.id,
        supporter: { pending: { campaignId: campaign.id, attempts: 0 } },
      });
    }
    case 'text': {
      const pending = campaigns.find((c) => c.id === supporter?.pendingCampaignId);
      if (!pending || !supporter) return decision('unknown', replies.unknown(openKeywords));
      if (pending.signed) return respell(pending, intent.text, supporter.pendingAttempts);
      const checked = checkName(intent.text);
      if (checked.ok) return sign(pending, checked.name, checked.hold, named(checked));
      if (supporter.pendingAttempts === 0) {
        return decision('asked-name-again', replies.askNameAgain(pending, checked.problem), {
          campaignId: pending.id,
          supporter: { pending: { campaignId: pending.id, attempts: 1 } },
        });
      }
      return decision('gave-up-name', replies.gaveUpOnName(pending), {
        campaignId: pending.id,
        supporter: { pending: NO_PENDING },
      });
    }
    case 'empty':
      return decision('unknown', replies.unknown(openKeywords));
  }
}
