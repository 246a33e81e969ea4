import type { Config } from '../config.js';
import {
  DEFAULT_BLOCKED_RETRY_MS,
  DEFAULT_MAX_ATTEMPTS_PER_NUMBER,
  DEFAULT_RETRY_DELAYS_MS,
} from './state.js';

/** How patiently deliveries are retried, followed and driven on when stuck; tests shorten the waits. */
export interface DeliveryTiming {
  retryDelaysMs: readonly number[];
  maxAttemptsPerNumber: number;
  /** How long after a submission (and between polls) the provider is asked how the fax is going. */
  pollEveryMs: number;
  /**
   * A fax still in progress at the provider this long after its submission fails
   * (FAX_IN_PROGRESS_LIMIT_MINUTES).
   */
  inProgressLimitMs: number;
  /**
   * How far a batch or delivery may fall behind what it should have done before it counts as stuck and its
   * job is queued again; also the least time between two such nudges of one item. Well above a provider
   * request's timeout, so that a submission under way is not taken for an interrupted one.
   */
  stuckAfterMs: number;
  /**
   * How long a delivery blocked by the account or the document (fax or e-mail) waits before it is tried
   * again.
   */
  blockedRetryMs: number;
}

const DEFAULT_POLL_EVERY_MS = 2 * 60_000;
const DEFAULT_STUCK_AFTER_MS = 15 * 60_000;

export function deliveryTiming(config: Config, timing: Partial<DeliveryTiming> = {}): DeliveryTiming {
  return {
    retryDelaysMs: DEFAULT_RETRY_DELAYS_MS,
    maxAttemptsPerNumber: DEFAULT_MAX_ATTEMPTS_PER_NUMBER,
    pollEveryMs: DEFAULT_POLL_EVERY_MS,
    inProgressLimitMs: config.fax.inProgressLimitMinutes * 60_000,
    stuckAfterMs: DEFAULT_STUCK_AFTER_MS,
    blockedRetryMs: DEFAULT_BLOCKED_RETRY_MS,
    ...timing,
  };
}
