import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { HOLD_RULES, holdOnFile } from '../supporters/names.js';

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
export function createNamesOnFile({ db }: { db: Db }) {
  return {
    async recheck(): Promise<NamesRechecked> {
      let after = 0;
      const done: NamesRechecked = { checked: 0, cleared: 0 };
      for (;;) {
        const { rows } = await db.execute<{ id: number; name: string }>(sql`
          SELECT id::int, name FROM supporters
           WHERE id > ${after} AND name IS NOT NULL AND name_cleared_under IS DISTINCT FROM ${HOLD_RULES}
           ORDER BY id LIMIT ${CHUNK}`);
        const last = rows.at(-1);
        if (!last) return done;
        after = last.id;
        const clear = rows.filter((row) => holdOnFile(row.name) === null);
        done.checked += rows.length;
        if (clear.length === 0) continue;
        // Only a name still as read: one written meanwhile was stamped by whoever wrote it.
        const stamped = await db.execute(sql`
          UPDATE supporters sp SET name_cleared_under = ${HOLD_RULES}
            FROM json_to_recordset(${JSON.stringify(clear)}::json) AS c(id bigint, name text)
           WHERE sp.id = c.id AND sp.name = c.name`);
        done.cleared += stamped.rowCount ?? 0;
      }
    },
  };
}
