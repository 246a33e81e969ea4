import type { CampaignReplies } from '../db/types.js';
import { describeReceipts, joinAnd, labelText, shortDateTime, type TargetReceipt } from '../receipt.js';
import type { HoldReason } from '../supporters/names.js';
import { describeNameProblem, type NameProblem } from '../supporters/names.js';
import { countSegments, singleSegmentUnits, smartEncode } from './segments.js';

/** Where a signer's name is, as read for RECEIPT. */
export type ReceiptState =
  | { kind: 'none' | 'waiting' | 'held' | 'late'; keyword: string | null }
  | { kind: 'not-faxed'; keyword: string | null; reason: HoldReason | 'staff' | null }
  | { kind: 'sending' | 'delivered'; keyword: string; received: TargetReceipt[]; waiting: string[] };

/**
 * Stands for the name on file in a reply decided before the supporter's row is read (conversation.ts
 * MEMBER_ON_FILE); the inbound statement puts the name in, and only when it fits (roomForName).
 */
export const NAME_ON_FILE = '\u0001';

/**
 * Why a hidden name was not put on the fax, in a supporter's words: the hold reason the moderator
 * confirmed by hiding it (none when staff hid a name that was not held).
 */
const HIDDEN_BECAUSE: Record<HoldReason | 'staff', string> = {
  profanity: 'it looked like it had a rude word in it',
  'unsupported-script': 'our fax cannot print its letters',
  'fictional-character': "it looked like a character's name, not a real one",
  'placeholder-name': 'it looked like a test name',
  'repeated-words': 'it did not look like a full name',
  symbols: 'it had symbols that are not part of a name',
  staff: 'our team could not use it',
};

/**
 * Plain ASCII that is GSM-7 at one unit a character, with no look-alike to replace (no backtick, none
 * of [ \ ] ^ { | } ~): most replies, told apart by one regular expression instead of counting (every
 * text's replies are worded twice, for an unknown number and for a member, on the inbound hot path).
 */
const PLAIN = new RegExp(`^[\\x20-\\x5A\\x5F\\x61-\\x7A${NAME_ON_FILE}]*$`);
const GSM_SINGLE = singleSegmentUnits('GSM-7');

/** The characters a name on file may have in the member's reply, or null when it has no NAME_ON_FILE. */
export function roomForName(reply: string): number | null {
  if (!reply.includes(NAME_ON_FILE)) return null;
  const slots = reply.split(NAME_ON_FILE).length - 1;
  const { encoding, units } = PLAIN.test(reply)
    ? { encoding: 'GSM-7' as const, units: reply.length - slots }
    : countSegments(reply.replaceAll(NAME_ON_FILE, ''));
  return Math.max(0, Math.floor((singleSegmentUnits(encoding) - units) / slots));
}

/**
 * The first wording that fits one SMS segment once look-alikes (a curly apostrophe in a name) are
 * replaced; the last is the shortest, and fits whatever the names (test/sms/reply-sizes.test.ts). A
 * NAME_ON_FILE counts for nothing here: the statement puts a name in only where it fits.
 */
/** Whether `text` is PLAIN and one segment as it is (a NAME_ON_FILE counting for nothing). */
function fitsPlainly(text: string): boolean {
  if (!PLAIN.test(text)) return false;
  const slots = text.includes(NAME_ON_FILE) ? text.split(NAME_ON_FILE).length - 1 : 0;
  return text.length - slots <= GSM_SINGLE;
}

function oneSegment(...wordings: string[]): string {
  let text = '';
  for (const wording of wordings) {
    if (fitsPlainly(wording)) return wording;
    text = smartEncode(wording).text;
    if (countSegments(text.replaceAll(NAME_ON_FILE, '')).segments <= 1) return text;
  }
  return text;
}

/** How to thank by name: the whole name, its first word, or no name (a name that makes a reply UCS-2). */
function nameForms(name: string): string[] {
  if (name === NAME_ON_FILE) return [name];
  const first = name.split(' ')[0] ?? name;
  return first === name ? [name] : [name, first];
}

/**
 * What we text back. Short and kind, naming the organisation, with the opt-out words wherever a
 * text could be someone's first from us or invites more texts (as SMS codes of practice expect).
 * GSM-7 characters only in our own words, and one segment each: where a name or a target's title
 * would make a reply longer or UCS-2, a shorter wording without it goes instead.
 */
export interface ReplyCampaign {
  keyword: string;
  replies: CampaignReplies;
}

export type Replies = ReturnType<typeof createReplies>;

export function createReplies({
  orgName,
  optOutHint,
  supporterCalls = false,
  joinKeywords = ['JOIN'],
}: {
  orgName: string;
  optOutHint: string;
  /** JOIN_KEYWORDS: the first is how a number that is no member is told to join. */
  joinKeywords?: readonly string[];
  /** SUPPORTER_CALLS: the organisation phones supporters, so HELP says how to stop calls. */
  supporterCalls?: boolean;
}) {
  const hint = optOutHint.replace(/[.\s]+$/, '');
  /** How to sign: the first two open keywords, else one, in the longest form that fits. */
  const signHows = (keywords: readonly string[]) =>
    keywords.length === 0
      ? ['No action is open right now; we will text you when someone needs your name.']
      : [
          ...(keywords.length > 1
            ? [`To sign, text ${keywords.slice(0, 2).join(' or ')} and your full name.`]
            : []),
          `To sign, text ${keywords[0]} and your full name.`,
        ];
  /** Each wording of `make` for each way of saying how to sign. */
  const withSignHow = (keywords: readonly string[], make: (how: string) => string[]) =>
    signHows(keywords).flatMap(make);
  const people = (n: number) => (n === 1 ? '1 authority' : `${n} authorities`);

  return {
    thanks(campaign: ReplyCampaign, name: string, optedIn: boolean): string {
      const k = campaign.keyword;
      const after = optedIn ? ` ${hint}` : ' Text START to get our texts again.';
      const custom = campaign.replies.thanks;
      // The usual case first, without wording the others (every signature is thanked).
      const usual = custom
        ? `${custom.replaceAll('{name}', name)}${after}`
        : `Thank you, ${name}! Your name will be on the ${k} fax. ${orgName}.${after}`;
      if (fitsPlainly(usual)) return usual;
      return oneSegment(
        ...(custom ? nameForms(name).map((n) => `${custom.replaceAll('{name}', n)}${after}`) : []),
        ...nameForms(name).map(
          (n) => `Thank you, ${n}! Your name will be on the ${k} fax. ${orgName}.${after}`,
        ),
        `Thank you! Your name will be on the ${k} fax. ${orgName}.${after}`,
        `Thank you! Your name will be on the ${k} fax.${after}`,
      );
    },
    thanksHeld(campaign: ReplyCampaign): string {
      const k = campaign.keyword;
      return oneSegment(
        `Thank you! Our team will check your name before it goes on the ${k} fax. ${orgName}. ${hint}`,
        `Thank you! Our team will check your name before it goes on the ${k} fax. ${hint}`,
      );
    },
    askSpelling(campaign: ReplyCampaign): string {
      const k = campaign.keyword;
      return oneSegment(
        `Thank you! Our fax cannot print those letters: ` +
          `please reply with your name in Latin or Cyrillic letters for ${k}. ${orgName}. ${hint}`,
        `Our fax cannot print those letters: reply with your name in Latin or Cyrillic letters for ${k}. ` +
          `${orgName}. ${hint}`,
        `Our fax cannot print those letters: reply with your name in Latin or Cyrillic letters for ${k}. ` +
          `${hint}`,
      );
    },
    spellingLeftToStaff(campaign: ReplyCampaign): string {
      return oneSegment(
        `Thank you. Our team will look at your name before it goes on the ${campaign.keyword} fax. ` +
          `${orgName}`,
      );
    },
    receiptNone(keyword: string | null, openKeywords: readonly string[]): string {
      const none = `We have no signature from this number${keyword ? ` for ${keyword}` : ''}.`;
      return oneSegment(
        ...withSignHow(openKeywords, (how) => [`${none} ${how} ${orgName}`, `${none} ${how}`]),
        'We have no signature from this number.',
      );
    },
    /**
     * Where a signer's name is: waiting for the next fax, held for review, not used and why, or
     * received by whom and when (a dry run's fax is written, not sent). Someone opted out is not
     * promised news.
     */
    receipt(state: ReceiptState, timeZone: string, optedIn = true): string {
      const k = state.keyword;
      const tell = (text: string) => (optedIn ? ` ${text}` : '');
      switch (state.kind) {
        case 'none':
          return oneSegment(`We have no signature from this number${k ? ` for ${k}` : ''}. ${orgName}`);
        case 'waiting':
          return oneSegment(
            `Your name is waiting for the next ${k} fax.${tell('We will tell you when it arrives.')} ` +
              `${orgName}`,
          );
        case 'held':
          return oneSegment(
            `Your name for ${k} is held: our team will check it before it goes on the fax. ${orgName}`,
          );
        case 'not-faxed':
          return oneSegment(
            `Your name for ${k} was not put on the fax: ${HIDDEN_BECAUSE[state.reason ?? 'staff']}. ` +
              `${orgName}`,
          );
        case 'late':
          return oneSegment(
            `The ${k} action had closed when you signed, so your name was not on its fax. ` +
              `Thank you for caring. ${orgName}`,
          );
        case 'sending':
        case 'delivered': {
          const dryRun = state.received.length > 0 && state.received.every((r) => r.dryRun);
          const reached = describeReceipts(state.received, timeZone);
          const got = state.received.length;
          const all = got + state.waiting.length;
          if (dryRun) {
            // A dry run reached nobody: the fax was written to the outbox, not sent.
            const names = joinAnd(state.received.map(labelText));
            const last = Math.max(...state.received.map((r) => r.at.getTime()));
            const when = shortDateTime(new Date(last), timeZone);
            return oneSegment(
              `The ${k} fax with your name was written for ${names} on ${when}, not sent (a dry run). ` +
                `${orgName}`,
              `The ${k} fax with your name was written for ${people(got)} on ${when}, ` +
                `not sent (a dry run). ${orgName}`,
            );
          }
          if (state.kind === 'delivered') {
            const names = joinAnd(state.received.map(labelText));
            return oneSegment(
              `Your name on the ${k} fax reached ${reached}. Thank you! ${orgName}`,
              `Your name on the ${k} fax reached ${reached}. Thank you!`,
              `Your name on the ${k} fax reached ${names}. Thank you! ${orgName}`,
              `Your name on the ${k} fax reached ${names}. Thank you!`,
              `Your name on the ${k} fax reached ${got === 1 ? 'its target' : `all ${people(got)}`}. ` +
                `Thank you! ${orgName}`,
            );
          }
          const waiting = joinAnd(state.waiting);
          return reached
            ? oneSegment(
                `Your name on the ${k} fax reached ${reached}; it is still on its way to ${waiting}. ` +
                  `${orgName}`,
                `Your name on the ${k} fax reached ${got} of ${people(all)}; it is on its way to the rest. ` +
                  `${orgName}`,
              )
            : oneSegment(
                `Your name is on the ${k} fax now being sent to ` +
                  `${waiting}.${tell('We will tell you when it arrives.')} ${orgName}`,
                `Your name is on the ${k} fax now being sent to ` +
                  `${people(all)}.${tell('We will tell you when it arrives.')} ${orgName}`,
              );
        }
      }
    },
    alreadySigned(campaign: ReplyCampaign, optedIn = true): string {
      return oneSegment(
        `You have already signed the ${campaign.keyword} action - thank ` +
          `you!${optedIn ? ' We will tell you what happens.' : ''} ${orgName}`,
      );
    },
    askName(campaign: ReplyCampaign): string {
      const k = campaign.keyword;
      return oneSegment(
        `Thanks for backing the ${k} action! Please reply with your full name so we can add it to our fax. ` +
          `${orgName}. ${hint}`,
        `Thanks for backing ${k}! Please reply with your full name for our fax. ${orgName}. ${hint}`,
        `Thanks for backing ${k}! Please reply with your full name for our fax. ${hint}`,
      );
    },
    askNameAgain(campaign: ReplyCampaign, problem: NameProblem): string {
      return oneSegment(
        `${describeNameProblem(problem)} It goes on our ${campaign.keyword} fax. ${orgName}`,
        `${describeNameProblem(problem)} It goes on our ${campaign.keyword} fax.`,
      );
    },
    gaveUpOnName(campaign: ReplyCampaign): string {
      const k = campaign.keyword;
      return oneSegment(
        `Sorry, we could not read a name. To sign, text ${k} and your full name, e.g. ${k} Jane Smith. ` +
          `${orgName}`,
        `Sorry, we could not read a name. To sign, text ${k} and your full name. ${orgName}`,
      );
    },
    late(campaign: ReplyCampaign, optedIn = true): string {
      const k = campaign.keyword;
      return optedIn
        ? oneSegment(
            `Sorry, the ${k} action has closed and its fax has gone. ` +
              `Thank you for caring - we will text you about the next one. ${orgName}. ${hint}`,
            `Sorry, the ${k} action has closed and its fax has gone. ` +
              `Thank you - we will text you about the next one. ${hint}`,
          )
        : oneSegment(
            `Sorry, the ${k} action has closed and its fax has gone. Thank you for caring. ${orgName}`,
          );
    },
    optedOut(): string {
      return oneSegment(
        `You are unsubscribed from ${orgName} texts and will get no more messages. Text START to rejoin.`,
      );
    },
    optedIn(): string {
      return oneSegment(`Welcome back! You will get ${orgName} texts about urgent actions again. ${hint}`);
    },
    /** START from a number that never signed or joined: texts are welcome, but none are sent it yet. */
    optedInNotMember(): string {
      const join = joinKeywords[0] ?? 'JOIN';
      return oneSegment(
        `To join the ${orgName} network, text ${join}; to sign an action, text its keyword and your name. ` +
          `${hint}`,
        `To join our network, text ${join}. ${hint}`,
      );
    },
    joined(name: string | null): string {
      const rest =
        `You are in the ${orgName} network: ` +
        `we will text you when someone at risk needs your name. ${hint}`;
      return oneSegment(
        ...(name ? nameForms(name).map((n) => `Welcome, ${n}! ${rest}`) : []),
        `Welcome! ${rest}`,
        `Welcome! You are in our network: we will text you when someone at risk needs your name. ${hint}`,
      );
    },
    noCall(): string {
      return oneSegment(
        `OK, we will not phone you. You still get our texts about urgent actions. ${orgName}. ${hint}`,
      );
    },
    help(openKeywords: readonly string[]): string {
      const calls = supporterCalls ? ' Text NOCALL to stop calls.' : '';
      return oneSegment(
        ...withSignHow(openKeywords, (how) => [
          `${orgName} Pocket Protest: ${how}${calls} ${hint}`,
          `${orgName}: ${how}${calls} ${hint}`,
          `${how}${calls} ${hint}`,
        ]),
      );
    },
    unknown(openKeywords: readonly string[]): string {
      return oneSegment(
        ...withSignHow(openKeywords, (how) => [
          `Sorry, we did not understand that. ${how} ${orgName}. ${hint}`,
          `Sorry, we did not understand that. ${how} ${hint}`,
        ]),
      );
    },
  };
}
