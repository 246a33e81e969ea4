import type { Config } from '../../config.js';
import { createFileProvider } from './file.js';

/** One fax to hand to a provider: a rendered part for a target, or a staff member's test fax. */
export interface OutgoingFax {
  /** null for a test fax, which belongs to no batch. */
  deliveryId: number | null;
  batchId: number | null;
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

export type FaxOutcome = { state: 'delivered' } | { state: 'failed'; error: string };

export interface FaxSubmission {
  providerFaxId: string;
  /** Known at once (file), or null: the outcome arrives later, by callback or by polling the provider. */
  outcome: FaxOutcome | null;
}

export type FaxProviderName = Config['fax']['provider'];

/** Whether a provider's faxes reach real machines: demo campaigns, whose numbers are fictional, never go through one. */
export const reachesRealMachines = (provider: FaxProviderName) => provider !== 'file';

export interface FaxProvider {
  readonly name: FaxProviderName;
  submit(fax: OutgoingFax): Promise<FaxSubmission>;
}

/** The provider FAX_PROVIDER names. */
export function createFaxProvider(config: Config, clock: () => Date): FaxProvider {
  switch (config.fax.provider) {
    case 'file':
      return createFileProvider({ outboxDir: config.fax.outboxDir, clock });
    case 'sinch':
      throw new Error('FAX_PROVIDER=sinch is not available in this version; use FAX_PROVIDER=file');
  }
}
