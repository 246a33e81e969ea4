import { countSegments, type SmsEncoding } from '../sms/segments.js';

/** Longer texts cost more than they gain: about 1,500 characters of GSM-7 or 670 of UCS-2. */
export const MAX_BROADCAST_SEGMENTS = 10;
/** The most characters a broadcast's body may have, as staff type it (the API's schema and the console). */
export const MAX_BROADCAST_LENGTH = 2_000;

export interface ComposedBroadcast {
  text: string;
  segments: number;
  encoding: SmsEncoding;
}

/**
 * The text as it will go out: the opt-out hint is added on a line of its own unless the body already
 * says it (in any case), and the segments are counted on the result, since the hint can change both
 * the count and the encoding.
 */
export function composeBroadcast(body: string, optOutHint: string): ComposedBroadcast {
  const trimmed = body.trim();
  const text = trimmed.toLowerCase().includes(optOutHint.toLowerCase())
    ? trimmed
    : `${trimmed}\n${optOutHint}`;
  const { segments, encoding } = countSegments(text);
  return { text, segments, encoding };
}
