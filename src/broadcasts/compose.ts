import { countSegments, nonGsmCharacters, type SmsEncoding } from '../sms/segments.js';

/** Longer texts cost more than they gain: about 1,500 characters of GSM-7 or 670 of UCS-2. */
export const MAX_BROADCAST_SEGMENTS = 10;
/** The most characters a broadcast's body may have, as staff type it (the API's schema and the console). */
export const MAX_BROADCAST_LENGTH = 2_000;

/**
 * Look-alikes of GSM-7 characters that word processors and phones put in: one of them alone makes a
 * text UCS-2, 70 characters a segment instead of 160. Each is replaced by the GSM-7 character it
 * stands for ('' removes an invisible one). Letters are left alone: "García" stays as typed.
 */
const LOOK_ALIKES: Record<string, string> = {
  // Single quotes, apostrophes and primes
  '\u2018': "'",
  '\u2019': "'",
  '\u201A': "'",
  '\u201B': "'",
  '\u2032': "'",
  '\u2039': "'",
  '\u203A': "'",
  '\u0060': "'",
  '\u00B4': "'",
  '\u02BC': "'",
  // Double quotes
  '\u201C': '"',
  '\u201D': '"',
  '\u201E': '"',
  '\u201F': '"',
  '\u2033': '"',
  '\u00AB': '"',
  '\u00BB': '"',
  // Dashes, hyphens and the minus sign
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
  '\u00AD': '',
  // Ellipsis and bullet
  '\u2026': '...',
  '\u2022': '-',
  // Spaces: no-break, thin, figure, ideographic, tab; invisible joiners and marks are removed
  '\u00A0': ' ',
  '\u2000': ' ',
  '\u2001': ' ',
  '\u2002': ' ',
  '\u2003': ' ',
  '\u2004': ' ',
  '\u2005': ' ',
  '\u2006': ' ',
  '\u2007': ' ',
  '\u2008': ' ',
  '\u2009': ' ',
  '\u200A': ' ',
  '\u202F': ' ',
  '\u205F': ' ',
  '\u3000': ' ',
  '\t': ' ',
  '\u200B': '',
  '\u200C': '',
  '\u200D': '',
  '\u2060': '',
  '\uFEFF': '',
  // Line and paragraph separators
  '\u2028': '\n',
  '\u2029': '\n',
};

export interface Replacement {
  /** The character as typed. */
  from: string;
  /** What goes out instead ('' when it is removed). */
  to: string;
  count: number;
}

/** The text with look-alikes replaced by GSM-7 characters, and what was replaced, in order of first use. */
export function smartEncode(text: string): { text: string; replaced: Replacement[] } {
  const replaced = new Map<string, Replacement>();
  let out = '';
  for (const char of text) {
    const to = LOOK_ALIKES[char];
    if (to === undefined) {
      out += char;
      continue;
    }
    out += to;
    const seen = replaced.get(char);
    if (seen) seen.count++;
    else replaced.set(char, { from: char, to, count: 1 });
  }
  return { text: out, replaced: [...replaced.values()] };
}

/** How a replaced character is named in a preview: its code point, since many look alike. */
export function describeCharacter(char: string): string {
  const names: Record<string, string> = { '': 'nothing', ' ': 'a space', '\n': 'a new line' };
  if (char in names) return names[char] as string;
  // Spaces, controls and invisible format characters look like nothing: named by code point.
  if (/^[\p{Z}\p{C}]$/u.test(char))
    return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return char;
}

export interface ComposedBroadcast {
  text: string;
  segments: number;
  encoding: SmsEncoding;
  /** Look-alikes replaced by smart encoding (empty when it is off). */
  replaced: Replacement[];
  /** Characters that still make the text UCS-2. */
  unicode: string[];
}

/**
 * The text as it will go out: with smart encoding (the default) look-alikes become GSM-7 characters;
 * the opt-out hint is added on a line of its own unless the body already says it (in any case); the
 * segments are counted on the result, since the hint can change both the count and the encoding.
 */
export function composeBroadcast(
  body: string,
  optOutHint: string,
  options: { smartEncoding?: boolean } = {},
): ComposedBroadcast {
  const trimmed = body.trim();
  const joined = trimmed.toLowerCase().includes(optOutHint.toLowerCase())
    ? trimmed
    : `${trimmed}\n${optOutHint}`;
  const { text, replaced } =
    options.smartEncoding === false ? { text: joined, replaced: [] } : smartEncode(joined);
  const { segments, encoding } = countSegments(text);
  return { text, segments, encoding, replaced, unicode: nonGsmCharacters(text) };
}
