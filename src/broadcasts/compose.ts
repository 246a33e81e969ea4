import {
  countSegments,
  nonGsmCharacters,
  type Replacement,
  type SmsEncoding,
  smartEncode,
} from '../sms/segments.js';

// Look-alikes are replaced where the automatic replies are worded too (sms/segments.ts).
export { type Replacement, smartEncode };

/** Longer texts cost more than they gain: about 1,500 characters of GSM-7 or 670 of UCS-2. */
export const MAX_BROADCAST_SEGMENTS = 10;
/** The most characters a broadcast's body may have, as staff type it (the API's schema and the console). */
export const MAX_BROADCAST_LENGTH = 2_000;

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
