import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';

const run = promisify(execFile);
const url = uniqueDatabaseUrl();

afterAll(() => dropDatabase(url));

function migrateInChildProcess() {
  return run('npx', ['tsx', 'src/cli.ts', 'db', 'migrate'], {
    env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'test' },
  });
}

describe('migrations', () => {
  it('two processes migrating a missing database at once both succeed and apply each migration once', async () => {
    const results = await Promise.all([migrateInChildProcess(), migrateInChildProcess()]);
    for (const result of results) expect(result.stdout).toContain('Database is up to date.');

    const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const applied = await client.query('SELECT hash FROM drizzle.__drizzle_migrations');
      expect(applied.rowCount).toBe(journal.entries.length);
      const tables = await client.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual(
        expect.arrayContaining([
          'campaigns',
          'inbound_messages',
          'signatures',
          'staff',
          'supporters',
          'targets',
        ]),
      );
    } finally {
      await client.end();
    }
  });
});
