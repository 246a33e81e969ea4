/**
 * How many SMS segments a text takes, as the networks count them: GSM-7 when every character is in
 * the GSM 03.38 alphabet (the extension table's characters take two septets), UCS-2 otherwise.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  // A concatenated message gives up 7 septets (GSM-7) or 3 characters (UCS-2) to its header.
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

function gsmCost(char: string): number | null {
  if (BASIC.has(char)) return 1;
  if (EXTENSION.has(char)) return 2;
  return null;
}

/** Each character's cost in units; a character is never split between two segments. */
function costs(text: string): { encoding: SmsEncoding; costs: number[] } {
  const chars = [...text];
  const gsm = chars.map(gsmCost);
  if (gsm.every((cost) => cost !== null)) return { encoding: 'GSM-7', costs: gsm as number[] };
  return { encoding: 'UCS-2', costs: chars.map((char) => char.length) };
}

export function countSegments(text: string): SegmentCount {
  const { encoding, costs: each } = costs(text);
  const units = each.reduce((sum, cost) => sum + cost, 0);
  const { single, part } = LIMITS[encoding];
  if (units <= single) return { encoding, units, segments: units === 0 ? 0 : 1 };
  let segments = 1;
  let used = 0;
  for (const cost of each) {
    if (used + cost > part) {
      segments++;
      used = 0;
    }
    used += cost;
  }
  return { encoding, units, segments };
}

/** The distinct characters of `text` outside the GSM-7 alphabet, in order of first use. */
export function nonGsmCharacters(text: string): string[] {
  return [...new Set([...text].filter((char) => gsmCost(char) === null))];
}

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

/** The most units one segment holds in each encoding. */
export function singleSegmentUnits(encoding: SmsEncoding): number {
  return LIMITS[encoding].single;
}

/**
 * A Postgres regular expression matching text made only of GSM-7 basic characters, one unit each
 * (no line breaks): a name on file that cannot change a reply's encoding.
 */
export const GSM_BASIC_PATTERN = `^[${[...GSM_BASIC]
  .filter((char) => char !== '\n' && char !== '\r')
  .map((char) => (/[\]\\^-]/.test(char) ? `\\${char}` : char))
  .join('')}]*$`;
