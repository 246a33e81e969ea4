import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDatabase, MIGRATIONS_DIR, migrateDatabase } from '../../src/db/migrate.js';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';

const FIX = '0014_supporters_members_by_consent';
const url = uniqueDatabaseUrl();
const before = mkdtempSync(join(tmpdir(), 'pp-migrations-'));

afterAll(async () => {
  rmSync(before, { recursive: true, force: true });
  await dropDatabase(url);
});

/** The migrations before the fix, as a folder of their own. */
function migrationsBeforeFix(): string {
  cpSync(MIGRATIONS_DIR, before, { recursive: true });
  const journalFile = join(before, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  const at = journal.entries.findIndex((entry) => entry.tag === FIX);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalFile, JSON.stringify(journal));
  return before;
}

describe(`migration ${FIX}`, () => {
  it('keeps signers, joiners and imported members, makes the rest non-members and says how many', async () => {
    await ensureDatabase(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await migrate(drizzle(client), { migrationsFolder: migrationsBeforeFix() });
      const supporter = async (source: string, terms = 'sms-terms-2026-11') => {
        const { rows } = await client.query(
          `INSERT INTO supporters (phone_index, source, consent_at, consent_terms, consent_message_sid)
           VALUES (gen_random_uuid()::text, $1, now(), $2, 'SMfirst') RETURNING id`,
          [source, terms],
        );
        return Number(rows[0].id);
      };
      const helper = await supporter('sms');
      const greeter = await supporter('sms');
      const signer = await supporter('sms');
      const joinedLater = await supporter('sms');
      await supporter('join:15');
      await supporter('import:stall', 'import');
      const { rows: campaign } = await client.query(
        `INSERT INTO campaigns (keyword, title, letter_body) VALUES ('KALYAPIN', 'Lawyer', 'Letter') RETURNING id`,
      );
      await client.query(
        `INSERT INTO signatures (campaign_id, supporter_id, name, status) VALUES ($1, $2, 'Jane Smith', 'valid')`,
        [campaign[0].id, signer],
      );
      const message = (supporterId: number, outcome: string) =>
        client.query(
          `INSERT INTO inbound_messages (message_sid, supporter_id, outcome, reply)
           VALUES (gen_random_uuid()::text, $1, $2, 'reply')`,
          [supporterId, outcome],
        );
      await message(helper, 'help');
      await message(greeter, 'unknown');
      await message(joinedLater, 'help');
      await message(joinedLater, 'joined');
    } finally {
      await client.end();
    }

    const notices: string[] = [];
    await migrateDatabase(url, (notice) => notices.push(notice));
    expect(notices).toEqual([
      'supporters no longer members of the network (no signature, join or import): 2',
    ]);

    const check = new pg.Client({ connectionString: url });
    await check.connect();
    try {
      const { rows } = await check.query(
        'SELECT source, consent_at IS NOT NULL AS member, consent_message_sid FROM supporters ORDER BY id',
      );
      expect(rows.map((row) => row.member)).toEqual([false, false, true, true, true, true]);
      expect(rows[0].consent_message_sid).toBeNull();
    } finally {
      await check.end();
    }
  });
});
