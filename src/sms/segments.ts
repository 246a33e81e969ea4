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
