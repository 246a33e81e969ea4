import type { BusinessHours } from '../config.js';
import { nextBusinessInstant } from './business-hours.js';

/**
 * Why a transmission failed, as far as the next step cares: the line was busy, nobody answered or the
 * line broke (try the same number again later); the number answers but is no fax machine, or does not
 * exist (try the next number now); `blocked`: the provider account's or the document's problem, no fault
 * of the number (staff see it, and it is tried again later, counted against no number); anything else is
 * retried like a line error.
 */
export type FailureKind =
  | 'busy'
  | 'no-answer'
  | 'line'
  | 'not-a-fax'
  | 'invalid-number'
  | 'blocked'
  | 'other';

const NEXT_NUMBER_KINDS: readonly FailureKind[] = ['not-a-fax', 'invalid-number'];

/**
 * What the provider (by callback, polling or its answer to a submission) says about the current fax.
 * `in-progress` covers a fax queued at the provider too.
 */
export type DeliveryEvent =
  | { type: 'in-progress' }
  | { type: 'completed' }
  /** `pagesSent` > 0 means the recipient got part of it: the whole part is sent again, marked resent. */
  | { type: 'failed'; kind: FailureKind; message: string; pagesSent: number };

export interface DeliveryState {
  /** The target's fax numbers, in the order they are tried. */
  numbers: readonly string[];
  numberIndex: number;
  /** Submissions made to the current number, the one that just ended included. */
  numberAttempts: number;
  /** When the current fax was submitted. */
  submittedAt: Date | null;
}

export interface RetryPolicy {
  /** Waits after the 1st, 2nd … failure on one number; the last one repeats. */
  delaysMs: readonly number[];
  maxAttemptsPerNumber: number;
  businessHours: BusinessHours | null;
  timeZone: string;
  /** How long a fax may stay in progress at the provider before it is given up. */
  inProgressLimitMs: number;
  /** How long a blocked delivery waits before it is tried again. */
  blockedRetryMs: number;
}

export type Decision =
  | { status: 'sending' }
  | { status: 'delivered' }
  | {
      status: 'waiting';
      numberIndex: number;
      faxNumber: string;
      numberAttempts: number;
      retryAt: Date;
      /** Pages reached the recipient: re-render the part as "resent" before sending it again. */
      resend: boolean;
      lastError: string;
    }
  /**
   * The account's or the document's problem: nothing to do with the number, so the submission is not
   * counted against it (`numberAttempts` as before it); tried again at `retryAt` once fixed.
   */
  | { status: 'blocked'; numberAttempts: number; retryAt: Date; lastError: string }
  | { status: 'failed'; lastError: string };

/** A blocked delivery is tried again hourly: what blocks it is fixed by people, not by the line. */
export const DEFAULT_BLOCKED_RETRY_MS = 60 * 60_000;

/** Growing waits: 5, 15, 45 minutes, 2 hours, then 4 hours. */
export const DEFAULT_RETRY_DELAYS_MS = [5, 15, 45, 120, 240].map((minutes) => minutes * 60_000);
export const DEFAULT_MAX_ATTEMPTS_PER_NUMBER = 6;

/** "2 h", "90 min", "45 s": a limit as staff read it. */
export function formatLimit(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes >= 60 && Number.isInteger(minutes / 60)) return `${minutes / 60} h`;
  if (minutes >= 1) return `${Math.round(minutes)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** The next state of a delivery that is sending, given what the provider reports. Pure. */
export function decide(state: DeliveryState, event: DeliveryEvent, now: Date, policy: RetryPolicy): Decision {
  const number = state.numbers[state.numberIndex] ?? '';
  switch (event.type) {
    case 'in-progress': {
      const since = state.submittedAt?.getTime() ?? now.getTime();
      if (now.getTime() - since < policy.inProgressLimitMs) return { status: 'sending' };
      // It may have reached the machine after all: sending it again is staff's call, not ours.
      return {
        status: 'failed',
        lastError:
          `${number}: no final status from the provider after ` +
          `${formatLimit(policy.inProgressLimitMs)}; check with the recipient before resending`,
      };
    }
    case 'completed':
      return { status: 'delivered' };
    case 'failed':
      break;
  }
  if (event.kind === 'blocked') {
    return {
      status: 'blocked',
      numberAttempts: Math.max(state.numberAttempts - 1, 0),
      retryAt: new Date(now.getTime() + policy.blockedRetryMs),
      // The account or the document, not the number: the reason alone, which staff act on.
      lastError: event.message,
    };
  }
  const lastError = `${number}: ${event.message}`;
  const resend = event.pagesSent > 0;
  const sameNumberAgain =
    !NEXT_NUMBER_KINDS.includes(event.kind) && state.numberAttempts < policy.maxAttemptsPerNumber;
  if (sameNumberAgain) {
    const delays = policy.delaysMs;
    const delay = delays[Math.min(Math.max(state.numberAttempts, 1), delays.length) - 1] ?? 0;
    return {
      status: 'waiting',
      numberIndex: state.numberIndex,
      faxNumber: number,
      numberAttempts: state.numberAttempts,
      retryAt: nextBusinessInstant(new Date(now.getTime() + delay), policy.businessHours, policy.timeZone),
      resend,
      lastError,
    };
  }
  const nextIndex = state.numberIndex + 1;
  const nextNumber = state.numbers[nextIndex];
  if (nextNumber === undefined) {
    const tried =
      state.numbers.length === 1 ? 'the only fax number' : `all ${state.numbers.length} fax numbers`;
    return { status: 'failed', lastError: `Gave up after trying ${tried}; last: ${lastError}` };
  }
  return {
    status: 'waiting',
    numberIndex: nextIndex,
    faxNumber: nextNumber,
    numberAttempts: 0,
    retryAt: nextBusinessInstant(now, policy.businessHours, policy.timeZone),
    resend,
    lastError,
  };
}
