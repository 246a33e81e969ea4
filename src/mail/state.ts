import type { MailOutcome } from './transport.js';

/** An e-mail delivery that was sending, as far as the next step cares. */
export interface EmailState {
  /** The target's addresses, in the order they are tried. */
  addresses: readonly string[];
  index: number;
  /** Sends to the current address, the one that just ended included. */
  addressAttempts: number;
}

export interface EmailRetryPolicy {
  /** Waits after the 1st, 2nd … deferral at one address; the last one repeats. */
  delaysMs: readonly number[];
  maxAttemptsPerAddress: number;
  /** How long a send blocked by our own login or sender waits before it is tried again. */
  blockedRetryMs: number;
}

export type EmailDecision =
  | { status: 'delivered'; reply: string }
  | { status: 'written' }
  | { status: 'uncertain'; reply: string; lastError: string }
  | {
      status: 'waiting';
      index: number;
      address: string;
      addressAttempts: number;
      retryAt: Date;
      reply: string;
      lastError: string;
    }
  /** Our login or sender refused: counted against no address, tried again at `retryAt` once fixed. */
  | { status: 'blocked'; addressAttempts: number; retryAt: Date; reply: string; lastError: string }
  | { status: 'failed'; reply: string; lastError: string };

/**
 * The next state of an e-mail delivery after a send. Pure. A deferral (4xx, or no connection) is tried
 * again at the same address after a growing wait, up to a limit; a refusal (5xx) moves on to the next
 * address at once; past the last address the delivery fails. A send cut off after its data began is
 * uncertain, and goes no further without staff. Our own login or sender refused blocks the delivery: the
 * recipient is not at fault, so the address is kept and tried again later.
 */
export function decideEmail(
  state: EmailState,
  outcome: MailOutcome,
  now: Date,
  policy: EmailRetryPolicy,
): EmailDecision {
  const address = state.addresses[state.index] ?? '';
  switch (outcome.status) {
    case 'accepted':
      return { status: 'delivered', reply: outcome.reply };
    case 'written':
      return { status: 'written' };
    case 'uncertain':
      return {
        status: 'uncertain',
        reply: outcome.reply,
        lastError:
          `${address}: the connection ended after the message was being sent, ` +
          `with no reply from the server (${outcome.reply}). ` +
          'The server may have it: check before resending; a resend keeps its Message-ID.',
      };
    case 'blocked':
      return {
        status: 'blocked',
        addressAttempts: Math.max(state.addressAttempts - 1, 0),
        retryAt: new Date(now.getTime() + policy.blockedRetryMs),
        reply: outcome.reply,
        lastError:
          "The mail server refused our sender, not the recipient (check SMTP_URL's login and MAIL_FROM): " +
          outcome.reply,
      };
    case 'deferred':
    case 'refused':
      break;
  }
  const { reply } = outcome;
  const lastError = `${address}: ${reply}`;
  if (outcome.status === 'deferred' && state.addressAttempts < policy.maxAttemptsPerAddress) {
    const delays = policy.delaysMs;
    const delay = delays[Math.min(Math.max(state.addressAttempts, 1), delays.length) - 1] ?? 0;
    return {
      status: 'waiting',
      index: state.index,
      address,
      addressAttempts: state.addressAttempts,
      retryAt: new Date(now.getTime() + delay),
      reply,
      lastError,
    };
  }
  const nextIndex = state.index + 1;
  const next = state.addresses[nextIndex];
  if (next === undefined) {
    const tried =
      state.addresses.length === 1
        ? 'the only e-mail address'
        : `all ${state.addresses.length} e-mail addresses`;
    return { status: 'failed', reply, lastError: `Gave up after trying ${tried}; last: ${lastError}` };
  }
  return {
    status: 'waiting',
    index: nextIndex,
    address: next,
    addressAttempts: 0,
    retryAt: now,
    reply,
    lastError,
  };
}
