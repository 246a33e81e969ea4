import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Any fixed number: every process that migrates takes the same Postgres advisory lock. */
const MIGRATION_LOCK_ID = 7_050_5001;

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        // Another process created it between our look and our create.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Applies the committed drizzle-kit migrations. Several processes may start at once, so each takes
 * the advisory lock first; the one that waits then finds nothing left to apply. What a data fix says
 * it changed (a `RAISE NOTICE` in its DO block) goes to `onNotice`; Postgres's own notices do not.
 */
export async function migrateDatabase(url: string, onNotice?: (message: string) => void): Promise<void> {
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    client.on('notice', (notice) => {
      if (notice.where?.includes('PL/pgSQL') && notice.message) onNotice?.(notice.message);
    });
    // Notices reach the client for the data fixes' counts; "already exists, skipping" is left out above.
    await client.query('SET client_min_messages = notice');
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await client.end();
  }
}
