import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type Database } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Nothing listens on port 1: a way to reach a server that is down. */
export const UNREACHABLE_POSTGRES_URL = 'postgres://postgres@127.0.0.1:1/pocketprotest';
export const UNREACHABLE_REDIS_URL = 'redis://127.0.0.1:1';

export function uniqueDatabaseUrl(): string {
  return `${POSTGRES_URL}/pp_test_${randomBytes(6).toString('hex')}`;
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export interface TestDatabase extends Database {
  url: string;
  drop(): Promise<void>;
}

/** Each test file gets a database of its own, migrated, and dropped at the end. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = uniqueDatabaseUrl();
  await migrateDatabase(url);
  const database = createDatabase(url, { max: 20 });
  return {
    ...database,
    url,
    async drop() {
      await database.close();
      await dropDatabase(url);
    },
  };
}
