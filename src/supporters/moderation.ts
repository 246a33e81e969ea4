// Joke and test names held for a person to review before they reach a fax: fictional characters,
// placeholder names, repeated words, and emoji or symbols that are no part of a name. Pure: the lists
// are a data file read at import, and each check is a Set lookup and a regular expression.
import lists from './moderation-names.json' with { type: 'json' };

export type ModerationReason = 'fictional-character' | 'placeholder-name' | 'repeated-words' | 'symbols';

/**
 * The key a name is compared by: accents and case folded away, everything that is not a letter a
 * space, so "Mickey-Mouse", "MICKEY MOUSE" and "Mickéy Mouse!" are one name (ё and е too).
 */
export function moderationKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}]+/gu, ' ')
    .trim();
}

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
  const words = key.split(' ');
  if (words.length >= 2 && words.every((word) => word === words[0])) return 'repeated-words';
  // Keyboard mashing: one letter over and over ("Aaaa", "Xxx Smith").
  if (words.some((word) => word.length >= 3 && /^(\p{L})\1+$/u.test(word))) return 'repeated-words';
  return null;
}
