/**
 * Pure parsing of an inbound SMS body into what the supporter meant. No I/O: the caller decides what
 * to do with the intent (and normalises names).
 */

// Twilio's default opt-out, opt-in and help keywords (its "Advanced Opt-Out" defaults): Twilio blocks
// and unblocks a number on these itself, so the product must read them as Twilio does, whatever
// campaigns exist.
export const OPT_OUT_WORDS: readonly string[] = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
];
export const OPT_IN_WORDS: readonly string[] = ['START', 'UNSTOP'];
/**
 * Twilio's third opt-in word. It opts in only a person who is opted out (conversation.ts); from anyone
 * else it means what the conversation makes of it (an answer, a name), as any other text.
 */
export const OPT_IN_IF_OPTED_OUT_WORDS: readonly string[] = ['YES'];
export const HELP_WORDS: readonly string[] = ['HELP', 'INFO'];
export const NOCALL_WORDS: readonly string[] = ['NOCALL'];
/** Where is my name? Alone, or after a campaign keyword (`MAGAMED RECEIPT`). */
export const RECEIPT_WORDS: readonly string[] = ['RECEIPT'];

export type Intent =
  | { kind: 'opt-out' }
  | { kind: 'opt-in' }
  /** YES: an opt-in from a person who is opted out, else the text itself. */
  | { kind: 'yes'; text: string }
  | { kind: 'help' }
  | { kind: 'nocall' }
  | { kind: 'receipt'; keyword: string | null }
  | { kind: 'join'; source: string | null; name: string | null }
  | { kind: 'keyword'; keyword: string; exact: boolean; name: string | null }
  | { kind: 'text'; text: string }
  | { kind: 'empty' };

export interface IntentOptions {
  campaignKeywords: readonly string[];
  joinKeywords: readonly string[];
}

// Shorter keywords are too close to ordinary words for a one-letter typo to be a safe guess.
const MIN_TYPO_KEYWORD_LENGTH = 5;

// Invisible characters that phones and copy-paste sneak in; they would stop "STOP" from matching.
// ZWJ/ZWNJ (U+200C/U+200D) are kept inside the body because Persian/Indic names and emoji need them,
// but they are removed at the edges and from the first word.
const INVISIBLE = /[\u00AD\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
const JOINERS = /[\u200C\u200D]/g;
const EDGES = /^[\s\u200C\u200D]+|[\s\u200C\u200D]+$/g;
// The listed ASCII punctuation plus the curly quotes and Spanish marks that phone keyboards substitute.
const SURROUNDING_PUNCTUATION =
  /^[.,!?:;"'()\u2018\u2019\u201C\u201D\u00A1\u00BF]+|[.,!?:;"'()\u2018\u2019\u201C\u201D\u00A1\u00BF]+$/g;

const OPT_OUT = new Set(OPT_OUT_WORDS);
const OPT_IN = new Set(OPT_IN_WORDS);
const OPT_IN_IF_OPTED_OUT = new Set(OPT_IN_IF_OPTED_OUT_WORDS);
const HELP = new Set(HELP_WORDS);
const NOCALL = new Set(NOCALL_WORDS);
const RECEIPT = new Set(RECEIPT_WORDS);

/** Canonical form for comparing a word: NFKC folds fullwidth letters, upper case makes it case-blind. */
function foldWord(word: string): string {
  return word
    .replace(INVISIBLE, '')
    .replace(JOINERS, '')
    .normalize('NFKC')
    .replace(SURROUNDING_PUNCTUATION, '')
    .toUpperCase();
}

/** Returns the source code when `word` (already folded) is a join keyword optionally followed by digits. */
function matchJoin(word: string, joinKeywords: readonly string[]): { source: string | null } | null {
  for (const raw of joinKeywords) {
    const join = foldWord(raw);
    if (join === '' || !word.startsWith(join)) continue;
    const rest = word.slice(join.length);
    if (rest === '') return { source: null };
    if (/^[0-9]+$/.test(rest)) return { source: rest };
  }
  return null;
}

/**
 * True when `word` cannot be a campaign keyword because a supporter texting it would get a reserved
 * meaning (opt-out, opt-in, YES, help, nocall, or a join keyword with or without a source code).
 */
export function isReservedWord(word: string, joinKeywords: readonly string[]): boolean {
  const folded = foldWord(word);
  return (
    OPT_OUT.has(folded) ||
    OPT_IN.has(folded) ||
    OPT_IN_IF_OPTED_OUT.has(folded) ||
    HELP.has(folded) ||
    NOCALL.has(folded) ||
    RECEIPT.has(folded) ||
    matchJoin(folded, joinKeywords) !== null
  );
}

function codePointsEqual(a: readonly string[], from: number, b: readonly string[], fromB: number): boolean {
  if (a.length - from !== b.length - fromB) return false;
  for (let i = from; i < a.length; i++) {
    if (a[i] !== b[i - from + fromB]) return false;
  }
  return true;
}

/**
 * Optimal-string-alignment distance <= 1: equal, or one code point changed, added or dropped, or two
 * adjacent code points swapped. Case-sensitive; callers fold case first.
 */
export function withinOneEdit(a: string, b: string): boolean {
  const x = Array.from(a);
  const y = Array.from(b);
  if (Math.abs(x.length - y.length) > 1) return false;
  const [longer, shorter] = x.length >= y.length ? [x, y] : [y, x];
  let i = 0;
  while (i < shorter.length && longer[i] === shorter[i]) i++;
  if (i === longer.length) return true;
  if (longer.length !== shorter.length) return codePointsEqual(longer, i + 1, shorter, i);
  if (codePointsEqual(longer, i + 1, shorter, i + 1)) return true;
  return (
    longer[i] === shorter[i + 1] &&
    longer[i + 1] === shorter[i] &&
    codePointsEqual(longer, i + 2, shorter, i + 2)
  );
}

function matchKeyword(
  word: string,
  campaignKeywords: readonly string[],
): { keyword: string; exact: boolean } | null {
  const keywords = new Set(campaignKeywords.map(foldWord).filter((k) => k !== ''));
  if (keywords.has(word)) return { keyword: word, exact: true };
  let candidate: string | null = null;
  for (const keyword of keywords) {
    if (Array.from(keyword).length < MIN_TYPO_KEYWORD_LENGTH || !withinOneEdit(word, keyword)) continue;
    // Two keywords equally close: guessing could sign someone up to the wrong campaign.
    if (candidate !== null) return null;
    candidate = keyword;
  }
  return candidate === null ? null : { keyword: candidate, exact: false };
}

function cleanBody(body: string): string {
  return body.replace(INVISIBLE, '').normalize('NFC').replace(EDGES, '');
}

function nameFrom(rest: string): string | null {
  const name = rest.replace(/\s+/g, ' ').replace(EDGES, '');
  return name === '' ? null : name;
}

/** Parses an inbound SMS body. A returned keyword is the canonical upper-case spelling from the list. */
export function parseIntent(body: string, options: IntentOptions): Intent {
  const text = cleanBody(body);
  if (text === '') return { kind: 'empty' };

  const space = text.search(/\s/);
  const first = space === -1 ? text : text.slice(0, space);
  const rest = space === -1 ? '' : text.slice(space);
  const word = foldWord(first);

  if (OPT_OUT.has(word)) return { kind: 'opt-out' };
  if (OPT_IN.has(word)) return { kind: 'opt-in' };
  if (OPT_IN_IF_OPTED_OUT.has(word)) return { kind: 'yes', text };
  if (HELP.has(word)) return { kind: 'help' };
  if (NOCALL.has(word)) return { kind: 'nocall' };
  if (RECEIPT.has(word)) {
    const after = nameFrom(rest);
    if (after === null) return { kind: 'receipt', keyword: null };
    const named = matchKeyword(foldWord(after), options.campaignKeywords);
    if (named?.exact) return { kind: 'receipt', keyword: named.keyword };
  }
  const join = matchJoin(word, options.joinKeywords);
  if (join) return { kind: 'join', source: join.source, name: nameFrom(rest) };

  const keyword = matchKeyword(word, options.campaignKeywords);
  if (keyword) {
    const name = nameFrom(rest);
    if (name !== null && RECEIPT.has(foldWord(name))) return { kind: 'receipt', keyword: keyword.keyword };
    return { kind: 'keyword', ...keyword, name };
  }
  return { kind: 'text', text };
}
