import type { CampaignReplies } from '../db/schema.js';
import { describeReceipts, joinAnd, type TargetReceipt } from '../receipt.js';
import { describeNameProblem, type NameProblem } from '../supporters/names.js';

/** Where a signer's name is, as read for RECEIPT. */
export type ReceiptState =
  | { kind: 'none' | 'waiting' | 'held' | 'not-faxed' | 'late'; keyword: string | null }
  | { kind: 'sending' | 'delivered'; keyword: string; received: TargetReceipt[]; waiting: string[] };

/**
 * What we text back. Short and kind, naming the organisation, with the opt-out words wherever a
 * text could be someone's first from us or invites more texts (as SMS codes of practice expect).
 * GSM-7 characters only in our own words, so a reply stays one segment where it can.
 */
export interface ReplyCampaign {
  keyword: string;
  replies: CampaignReplies;
}

export type Replies = ReturnType<typeof createReplies>;

export function createReplies({ orgName, optOutHint }: { orgName: string; optOutHint: string }) {
  const hint = optOutHint.replace(/[.\s]+$/, '');
  const signHow = (keywords: readonly string[]) =>
    keywords.length > 0
      ? `To sign, text ${keywords.slice(0, 2).join(' or ')} and your full name.`
      : 'No action is open right now; we will text you when someone needs your name.';

  return {
    thanks(campaign: ReplyCampaign, name: string, optedIn: boolean): string {
      const custom = campaign.replies.thanks?.replaceAll('{name}', name);
      const text =
        custom ??
        `Thank you, ${name}! Your name is on our fax for the ${campaign.keyword} urgent action. ${orgName}.`;
      return optedIn ? `${text} ${hint}` : `${text} You get no other texts from us; text START to rejoin.`;
    },
    thanksHeld(campaign: ReplyCampaign): string {
      return `Thank you! Our team will check your name before it goes on the ${campaign.keyword} fax. ${orgName}. ${hint}`;
    },
    askSpelling(campaign: ReplyCampaign): string {
      return `Thank you! Our fax cannot print the letters of your name. Please reply with your name spelt in Latin or Cyrillic letters for the ${campaign.keyword} fax. ${orgName}. ${hint}`;
    },
    spellingLeftToStaff(campaign: ReplyCampaign): string {
      return `Thank you. Our team will look at your name before it goes on the ${campaign.keyword} fax. ${orgName}`;
    },
    receiptNone(keyword: string | null, openKeywords: readonly string[]): string {
      return `We have no signature from this number${keyword ? ` for ${keyword}` : ''}. ${signHow(openKeywords)} ${orgName}`;
    },
    /** Where a signer's name is: waiting for the next fax, held for review, or delivered to whom and when. */
    receipt(state: ReceiptState, timeZone: string): string {
      const k = state.keyword;
      switch (state.kind) {
        case 'none':
          return `We have no signature from this number${k ? ` for ${k}` : ''}. ${orgName}`;
        case 'waiting':
          return `Your name is waiting for the next ${k} fax. We will tell you when it arrives. ${orgName}`;
        case 'held':
          return `Your name for ${k} is held: our team will check it before it goes on the fax. ${orgName}`;
        case 'not-faxed':
          return `Your name for ${k} was not put on the fax. ${orgName}`;
        case 'late':
          return `The ${k} action had closed when you signed, so your name was not on its fax. Thank you for caring. ${orgName}`;
        case 'sending': {
          const reached = describeReceipts(state.received, timeZone);
          const waiting = joinAnd(state.waiting);
          return reached
            ? `Your name on the ${k} fax reached ${reached}; it is still on its way to ${waiting}. ${orgName}`
            : `Your name is on the ${k} fax now being sent to ${waiting}. We will tell you when it arrives. ${orgName}`;
        }
        case 'delivered':
          return `Your name on the ${k} fax reached ${describeReceipts(state.received, timeZone)}. Thank you! ${orgName}`;
      }
    },
    alreadySigned(campaign: ReplyCampaign): string {
      return `You have already signed the ${campaign.keyword} action - thank you! We will tell you what happens. ${orgName}`;
    },
    askName(campaign: ReplyCampaign): string {
      return `Thanks for backing the ${campaign.keyword} action! Please reply with your full name so we can add it to our fax. ${orgName}. ${hint}`;
    },
    askNameAgain(campaign: ReplyCampaign, problem: NameProblem): string {
      return `${describeNameProblem(problem)} It goes on our ${campaign.keyword} fax. ${orgName}`;
    },
    gaveUpOnName(campaign: ReplyCampaign): string {
      return `Sorry, we could not read a name. To sign, text ${campaign.keyword} and your full name, e.g. ${campaign.keyword} Jane Smith. ${orgName}`;
    },
    late(campaign: ReplyCampaign): string {
      return `Sorry, the ${campaign.keyword} action has closed and its fax has gone. Thank you for caring - we will text you about the next one. ${orgName}. ${hint}`;
    },
    optedOut(): string {
      return `You are unsubscribed from ${orgName} texts and will get no more messages. Text START to rejoin.`;
    },
    optedIn(): string {
      return `Welcome back! You will get ${orgName} texts about urgent actions again. ${hint}`;
    },
    joined(name: string | null): string {
      const greeting = name ? `Welcome, ${name}!` : 'Welcome!';
      return `${greeting} You are in the ${orgName} Pocket Protest network: we will text you when someone at risk needs your name. ${hint}`;
    },
    noCall(): string {
      return `OK, we will not phone you. You still get our texts about urgent actions. ${orgName}. ${hint}`;
    },
    help(openKeywords: readonly string[]): string {
      return `${orgName} Pocket Protest: ${signHow(openKeywords)} Text NOCALL to stop calls. ${hint}`;
    },
    unknown(openKeywords: readonly string[]): string {
      return `Sorry, we did not understand that. ${signHow(openKeywords)} ${orgName}. ${hint}`;
    },
  };
}
