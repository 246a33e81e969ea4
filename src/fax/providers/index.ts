import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { createFileProvider } from './file.js';
import { createSinchProvider } from './sinch.js';
import type { FaxProvider } from './types.js';

/** The provider FAX_PROVIDER names. */
export function createFaxProvider(config: Config, clock: () => Date, logger: Logger): FaxProvider {
  switch (config.fax.provider) {
    case 'file':
      return createFileProvider({ outboxDir: config.fax.outboxDir, clock });
    case 'sinch':
      return createSinchProvider({ sinch: config.sinch, clock, logger });
  }
}
