import type { Db } from '../db/client.js';
import * as repository from './repository.js';

export type RetentionResult = repository.ExpiredTexts;

const DAY_MS = 86_400_000;

/**
 * Retention: once a campaign has been closed for `retentionDays` and faxed (no valid signature left
 * waiting for a batch), the bodies of its texts, their replies (which carry names) and any dialogue
 * waiting on it are deleted. The rows stay, so counts and outcomes stay. Running it again changes
 * nothing.
 */
export function createRetentionService({
  db,
  clock,
  retentionDays,
}: {
  db: Db;
  clock: () => Date;
  retentionDays: number;
}) {
  return {
    async run(): Promise<RetentionResult> {
      const now = clock();
      const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
      return repository.deleteExpiredTexts(db, cutoff, now);
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
