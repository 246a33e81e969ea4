import type { Db } from '../db/client.js';
import { holdOnFile } from '../supporters/names.js';
import * as repository from './repository.js';

/** Names read and checked a statement at a time. */
const CHUNK = 2_000;

export interface NamesRechecked {
  checked: number;
  /** Names stamped as passing the current hold rules. */
  cleared: number;
}

/**
 * Checks again the names on file not yet stamped as passing the current hold rules (HOLD_RULES), and
 * stamps those that pass: their members' texts are then decided before their row is read and cost one
 * statement (sms/inbound-sql.ts). It brings in names stored before the stamp existed, and every name
 * after the rules change. Unstamped names still sign, checked when they do.
 */
export function createNamesOnFileService({ db }: { db: Db }) {
  return {
    async recheck(): Promise<NamesRechecked> {
      let after = 0;
      const done: NamesRechecked = { checked: 0, cleared: 0 };
      for (;;) {
        const names = await repository.namesNotClearedAfter(db, after, CHUNK);
        const last = names.at(-1);
        if (!last) return done;
        after = last.id;
        const clear = names.filter((row) => holdOnFile(row.name) === null);
        done.checked += names.length;
        if (clear.length === 0) continue;
        done.cleared += await repository.stampNamesCleared(db, clear);
      }
    },
  };
}

export type NamesOnFileService = ReturnType<typeof createNamesOnFileService>;
