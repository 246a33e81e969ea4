import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { TargetReceipt } from '../../src/receipt.js';
import type { ReplyCampaign } from '../../src/sms/replies.js';
import { createReplies, type ReceiptState } from '../../src/sms/replies.js';
import { countSegments } from '../../src/sms/segments.js';
import { checkName, type NameProblem } from '../../src/supporters/names.js';

/**
 * Every reply the product sends by itself is one SMS segment, in GSM-7 and in UCS-2, with the
 * organisation's default name and opt-out hint, the longest names (60 characters, Latin and
 * Cyrillic), the longest keywords (20 characters) and the longest target titles (200 characters).
 */

const { orgName, optOutHint } = loadConfig({});
const LATIN = 'Bartholomew Alexander Montgomery-Fitzwilliam Oconnor Smythes';
const CYRILLIC = 'Анастасия Александровна Константинопольская-Преображенская И';
const NAMES = [LATIN, CYRILLIC, 'Siobhán O’Brien', 'Анна Сергеевна Петрова', 'Jane Smith', 'Жанна'];
const K1 = 'KALYAPINKALYAPINKALY';
const K2 = 'MAGAMEDMAGAMEDMAGAME';
const TITLE_LATIN = `Prosecutor General of the Russian Federation ${'and Chairman '.repeat(12)}`.slice(
  0,
  200,
);
const TITLE_CYRILLIC = `Генеральный прокурор Российской Федерации ${'и председатель '.repeat(12)}`.slice(
  0,
  200,
);
const PROBLEMS: NameProblem[] = [
  'too-short',
  'too-long',
  'too-few-letters',
  'digits',
  'url-or-email',
  'leading-symbol',
  'symbols',
];

const campaigns: ReplyCampaign[] = [
  { keyword: K1, replies: {} },
  { keyword: K2, replies: { thanks: 'Spasibo, {name}! {name}, you are on the fax.' } },
  { keyword: K1, replies: { thanks: `${'A very long custom thank you from our team. '.repeat(4)}{name}` } },
];

const receipt = (name: string, dryRun: boolean): TargetReceipt => ({
  name,
  office: true,
  channel: 'fax',
  at: new Date('2026-12-12T07:42:00Z'),
  dryRun,
});

function receiptStates(): ReceiptState[] {
  const states: ReceiptState[] = [];
  for (const keyword of [K1, null]) {
    for (const kind of ['none', 'waiting', 'held', 'late'] as const) states.push({ kind, keyword });
  }
  for (const reason of [null, 'staff', 'profanity', 'fictional-character', 'unsupported-script'] as const) {
    states.push({ kind: 'not-faxed', keyword: K1, reason });
  }
  for (const dryRun of [false, true]) {
    const received = [TITLE_LATIN, TITLE_CYRILLIC, 'Igor Krasnov'].map((t) => receipt(t, dryRun));
    states.push({ kind: 'delivered', keyword: K1, received, waiting: [] });
    states.push({ kind: 'delivered', keyword: K1, received: received.slice(2), waiting: [] });
    states.push({ kind: 'sending', keyword: K1, received: received.slice(0, 1), waiting: [TITLE_CYRILLIC] });
    states.push({ kind: 'sending', keyword: K1, received: [], waiting: [TITLE_LATIN, TITLE_CYRILLIC] });
  }
  return states;
}

/** Every reply, with what it was made from. */
function everyReply(supporterCalls: boolean): Array<[string, string]> {
  const replies = createReplies({ orgName, optOutHint, supporterCalls });
  const out: Array<[string, string]> = [];
  const add = (label: string, text: string) => out.push([label, text]);
  const keywordSets = [[K1, K2], [K1], []];
  for (const campaign of campaigns) {
    for (const name of NAMES) {
      for (const optedIn of [true, false])
        add(`thanks ${name} ${optedIn}`, replies.thanks(campaign, name, optedIn));
    }
    add('thanksHeld', replies.thanksHeld(campaign));
    add('askSpelling', replies.askSpelling(campaign));
    add('spellingLeftToStaff', replies.spellingLeftToStaff(campaign));
    add('askName', replies.askName(campaign));
    for (const problem of PROBLEMS) add(`askNameAgain ${problem}`, replies.askNameAgain(campaign, problem));
    add('gaveUpOnName', replies.gaveUpOnName(campaign));
    for (const optedIn of [true, false]) {
      add(`alreadySigned ${optedIn}`, replies.alreadySigned(campaign, optedIn));
      add(`late ${optedIn}`, replies.late(campaign, optedIn));
    }
  }
  for (const keywords of keywordSets) {
    add(`receiptNone ${keywords}`, replies.receiptNone(K1, keywords));
    add(`receiptNone - ${keywords}`, replies.receiptNone(null, keywords));
    add(`help ${keywords}`, replies.help(keywords));
    add(`unknown ${keywords}`, replies.unknown(keywords));
  }
  for (const state of receiptStates()) {
    for (const optedIn of [true, false]) {
      add(`receipt ${state.kind}`, replies.receipt(state, 'Europe/London', optedIn));
    }
  }
  add('optedOut', replies.optedOut());
  add('optedIn', replies.optedIn());
  add('optedInNotMember', replies.optedInNotMember());
  add('noCall', replies.noCall());
  for (const name of [...NAMES, null]) add(`joined ${name}`, replies.joined(name));
  return out;
}

describe('every automatic reply fits one SMS segment', () => {
  it('takes names of the longest allowed length', () => {
    for (const name of [LATIN, CYRILLIC]) {
      expect([...name]).toHaveLength(60);
      expect(checkName(name)).toMatchObject({ ok: true, name });
    }
  });

  it('in GSM-7 and UCS-2, with the longest names, keywords and titles', () => {
    for (const supporterCalls of [false, true]) {
      for (const [label, text] of everyReply(supporterCalls)) {
        expect({ label, text, segments: countSegments(text).segments }).toEqual({ label, text, segments: 1 });
        expect(text).not.toMatch(/[’‘“”–—…]/);
      }
    }
  });

  it('thanks by name where the name fits, else by its first word or without it, still naming the action', () => {
    const replies = createReplies({ orgName, optOutHint });
    const campaign = { keyword: 'KALYAPIN', replies: {} };
    expect(replies.thanks(campaign, 'Jane Smith', true)).toBe(
      `Thank you, Jane Smith! Your name will be on the KALYAPIN fax. ${orgName}. ${optOutHint}`,
    );
    const irish = replies.thanks(campaign, 'Siobhán O’Brien', true);
    const russian = replies.thanks(campaign, 'Анна Сергеевна Петрова', true);
    for (const text of [irish, russian]) {
      expect(countSegments(text)).toMatchObject({ segments: 1, encoding: 'GSM-7' });
      expect(text).toContain('KALYAPIN');
      expect(text).toContain(optOutHint);
    }
    expect(replies.thanks(campaign, 'Жанна', true)).toMatch(/KALYAPIN/);
  });

  it('mentions NOCALL in HELP only when the organisation phones supporters', () => {
    expect(createReplies({ orgName, optOutHint }).help(['KALYAPIN'])).not.toContain('NOCALL');
    expect(createReplies({ orgName, optOutHint, supporterCalls: true }).help(['KALYAPIN'])).toContain(
      'Text NOCALL to stop calls.',
    );
  });
});
