// Joke and test names held for a person to review before they reach a fax: fictional characters,
// placeholder names, repeated words, and emoji or symbols that are no part of a name. Pure: the lists
// are a data file read at import, and each check is a Set lookup and a regular expression.
import lists from './moderation-names.json' with { type: 'json' };

/** The lists, for the version of the hold rules (names.ts). */
export const MODERATION_LISTS: Readonly<typeof lists> = lists;

export type ModerationReason = 'fictional-character' | 'placeholder-name' | 'repeated-words' | 'symbols';

/**
 * The key a name is compared by: accents and case folded away, everything that is not a letter a
 * space, so "Mickey-Mouse", "MICKEY MOUSE" and "Mickéy Mouse!" are one name (ё and е too).
 */
export function moderationKey(name: string): string {
  const lower = name.toLowerCase().replaceAll('ё', 'е');
  // Decomposing is the dear step (each text is checked on the inbound hot path): only Latin letters
  // with accents need it; the lists and the names are keyed by this same function either way.
  const folded = ACCENTED_LATIN.test(lower) ? lower.normalize('NFKD').replace(MARKS, '') : lower;
  return folded.replace(NOT_LETTERS, ' ').trim();
}

const ACCENTED_LATIN = /[\u00c0-\u024f\u1e00-\u1eff]/;
const MARKS = /\p{M}/gu;
const NOT_LETTERS = /[^\p{L}]+/gu;
/** A word of one letter three times or more ("aaa", "xxxx"): keyboard mashing. */
const ONE_LETTER_WORD = /(?:^| )(\p{L})\1{2,}(?= |$)/u;

function keysOf(names: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const name of names) {
    const key = moderationKey(name);
    if (key === '') continue;
    keys.add(key);
    // "Potter Harry": surname first is how forms and some languages write it.
    const words = key.split(' ');
    if (words.length === 2) keys.add(`${words[1]} ${words[0]}`);
  }
  return keys;
}

const FICTIONAL = keysOf(lists.fictional);
const PLACEHOLDER = keysOf(lists.placeholder);

/**
 * What a name may be made of: letters and their marks (any script: whether the fax font draws a
 * script is names.ts's check), spaces, and the punctuation names carry (apostrophes, hyphens, dots of
 * initials, commas). Anything else, an emoji, ★, ♥, ©, a currency sign, is no part of a name.
 */
const NOT_NAME_CHARACTER = /[^\p{L}\p{M} '’ʼ‘\-‐‑–.,]/u;

/** Why a name that passed validation should be held for review, or null. */
export function moderationReason(name: string): ModerationReason | null {
  if (NOT_NAME_CHARACTER.test(name)) return 'symbols';
  const key = moderationKey(name);
  if (PLACEHOLDER.has(key)) return 'placeholder-name';
  if (FICTIONAL.has(key)) return 'fictional-character';
  const space = key.indexOf(' ');
  if (space > 0) {
    const first = key.slice(0, space);
    if (key.split(' ').every((word) => word === first)) return 'repeated-words';
  }
  if (ONE_LETTER_WORD.test(key)) return 'repeated-words';
  return null;
}
