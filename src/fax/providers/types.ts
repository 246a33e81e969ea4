import type { Config } from '../../config.js';
import type { DeliveryEvent } from '../state.js';

/** One fax to hand to a provider: a rendered part for a target, or a staff member's test fax. */
export interface OutgoingFax {
  /** null for a test fax, which belongs to no batch. */
  deliveryId: number | null;
  batchId: number | null;
  /** The delivery's submission count, this one included: with the delivery id it names the submission. */
  attempt: number;
  campaignKeyword: string;
  targetName: string;
  /** E.164; authorities' numbers are public, test numbers are staff's own machines. */
  faxNumber: string;
  pages: number;
  /** Absolute path of the PDF. */
  file: string;
  /** Where the provider reports status, with the delivery's unguessable token; null for a test fax. */
  callbackUrl: string | null;
  test: boolean;
}

/**
 * What a provider reports about a fax that reached its recipient (or its outbox); null where it says nothing.
 */
export interface DeliveryFacts {
  completedAt: Date | null;
  pagesSent: number | null;
  /** The call's length. */
  durationSeconds: number | null;
  /** The remote machine's identifier (CSID). */
  remoteId: string | null;
}

export const NO_FACTS: DeliveryFacts = {
  completedAt: null,
  pagesSent: null,
  durationSeconds: null,
  remoteId: null,
};

/** `written`: put in the file provider's outbox, a dry run that reaches no machine. */
export type FaxOutcome =
  | { state: 'delivered' | 'written'; facts: DeliveryFacts }
  | { state: 'failed'; error: string };

export interface FaxSubmission {
  providerFaxId: string;
  /** Known at once (file), or null: the outcome arrives later, by callback or by polling the provider. */
  outcome: FaxOutcome | null;
}

/** What the provider says about one fax it holds. */
export interface FaxReport {
  providerFaxId: string;
  event: DeliveryEvent;
  /** Kept when the event is the fax's completion. */
  facts: DeliveryFacts;
}

export type FaxProviderName = Config['fax']['provider'];

/**
 * Whether a provider's faxes reach real machines: demo campaigns, whose numbers are fictional, never go
 * through one.
 */
export const reachesRealMachines = (provider: FaxProviderName) => provider !== 'file';

export interface FaxProvider {
  readonly name: FaxProviderName;
  submit(fax: OutgoingFax): Promise<FaxSubmission>;
  /** Reads a fax back; providers whose outcome comes later have it. */
  get?(providerFaxId: string): Promise<FaxReport>;
  /** The submission `attempt` of a delivery made at or after `since`, if the provider got it; null if not. */
  findByDelivery?(query: {
    to: string;
    since: Date;
    deliveryId: number;
    attempt: number;
  }): Promise<FaxReport | null>;
}

/**
 * A provider's refusal of the number for good (Sinch: a 400 that says the number is invalid): the sender
 * moves on to the next number instead of retrying. Any other error is tried again (or see FaxBlocked).
 */
export class FaxRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaxRejected';
  }
}

/**
 * A provider's refusal that is the account's or the document's problem, not the number's (Sinch: 401
 * after a fresh token, 402, 403, 413 …): the delivery is blocked for staff to see, counted against no
 * number, and tried again later.
 */
export class FaxBlocked extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaxBlocked';
  }
}
