import type { FailureKind } from '../state.js';

/**
 * What a failed Sinch fax means for the next step, by `errorType` and `errorCode` as Sinch lists them.
 * Follows the official client @sinch/fax 1.4.0: packages/fax/src/models/v3/errors/call-error/call-error.ts,
 * fax-error/fax-error.ts and document-conversion-error/document-conversion-error.ts, and the ErrorType of
 * packages/fax/src/models/v3/enums.ts (sinch/sinch-sdk-node; the lists are the same at commit affb35e5,
 * @sinch/fax 1.5.0). test/fixtures/providers/sinch/errors.json keeps those lists; a test holds this table
 * to them. The message text is never read: Sinch's wording is not stable ("Is Not active").
 *
 * - invalid-number: the number does not exist or is not in service → the next number at once;
 * - busy, no-answer, line (a transmission fault on a working machine) → the same number later;
 * - not-a-fax: no fax tone, or a machine that cannot take our pages → the next number;
 * - blocked: the Sinch account's or our document's problem (funds, a number the account may not dial, a
 *   document Sinch cannot convert): no attempt against the target's numbers; staff see it, and it is
 *   tried again hourly until fixed.
 */
const CALL_ERROR: Readonly<Record<number, FailureKind>> = {
  11: 'line', // The call dropped prematurely
  15: 'busy', // Congestion
  16: 'no-answer', // Ring Timeout
  17: 'busy', // Busy
  19: 'line', // Immediate Hangup
  30: 'no-answer', // No answer from a fax machine.
  32: 'not-a-fax', // Incompatible destination
  34: 'invalid-number', // Phone number not operational
  43: 'line', // Problem establishing connection
  49: 'invalid-number', // The destination phone number Is Not active
};

/**
 * A fax machine answered; every fault not named here is one of the transmission (a glitch on a working
 * machine).
 */
const FAX_ERROR: Readonly<Record<number, FailureKind>> = {
  6: 'line',
  7: 'not-a-fax', // Far end cannot receive at the size of image
  8: 'line',
  10: 'line',
  12: 'line',
  13: 'line',
  14: 'line',
  18: 'line',
  20: 'line',
  21: 'line',
  22: 'line',
  25: 'not-a-fax', // Far end cannot receive at the resolution of the image
  26: 'line',
  28: 'line',
  29: 'line', // Invalid response after sending a page
  31: 'not-a-fax', // Fax machine incompatibility
  38: 'line',
  40: 'line',
  41: 'line',
  44: 'line',
  46: 'blocked', // Insufficient funds to send fax and not able to auto recharge
  48: 'no-answer', // No answer (The Receiving Machine May Be Out Of Paper)
  53: 'line',
  60: 'line',
  63: 'line',
  68: 'not-a-fax', // Far end is not compatible
  75: 'line', // Manually canceled by user
  76: 'line', // Canceled automatically because timeout exceeded
  77: 'line',
  79: 'line',
  80: 'line',
  82: 'line',
  84: 'line',
  113: 'blocked', // The file for this fax has been deleted or is not accessible.
  117: 'line',
  119: 'line', // User requested simulated faxError
  131: 'line', // Incomplete transmission
  132: 'not-a-fax', // No fax tone detected
  133: 'blocked', // Phone number is not permitted
};

/** Every document conversion error is our document's (or Sinch's storage's) problem, never the number's. */
const DOCUMENT_CONVERSION_ERROR: Readonly<Record<number, FailureKind>> = Object.fromEntries(
  [4, 54, 55, 57, 69, 122, 128, 129, 130, 133].map((code) => [code, 'blocked']),
);

const BY_TYPE: Readonly<Record<string, Readonly<Record<number, FailureKind>>>> = {
  CALL_ERROR,
  FAX_ERROR,
  DOCUMENT_CONVERSION_ERROR,
};

/**
 * Sinch lists no codes for these types: LINE_ERROR is a line's fault; FATAL_ERROR and GENERAL_ERROR are not
 * known.
 */
const LINE_TYPES = new Set(['LINE_ERROR']);

export interface SinchFailure {
  kind: FailureKind;
  /** False when the type and code are in no list: treated as a fault to try again later, and logged. */
  known: boolean;
}

/** The next step after a fax Sinch reports FAILURE. Pure. */
export function sinchFailure(
  errorType: string | undefined,
  errorCode: number | string | undefined,
): SinchFailure {
  const code = typeof errorCode === 'string' ? Number(errorCode) : errorCode;
  const kind = errorType === undefined || code === undefined ? undefined : BY_TYPE[errorType]?.[code];
  if (kind) return { kind, known: true };
  if (errorType !== undefined && LINE_TYPES.has(errorType)) return { kind: 'line', known: true };
  return { kind: 'other', known: false };
}

/** The table, for the test that holds it to Sinch's lists. */
export const SINCH_FAILURE_TABLE = BY_TYPE;
