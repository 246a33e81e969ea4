import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;

export interface Database {
  db: Db;
  pool: pg.Pool;
  /**
   * Runs a hot statement as a named prepared statement, so Postgres parses and plans it once per
   * connection instead of on every call (for the inbound-text statements, that costs more than
   * running them).
   */
  query<T>(name: string, text: string, values: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** The one database client of a process: a pg pool and the drizzle instance on it. */
export function createDatabase(url: string, options: { max?: number } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    application_name: 'pocket-protest',
  });
  // An idle client losing its connection (Postgres restart) must not crash the process.
  pool.on('error', () => {});
  return {
    db: drizzle(pool, { schema }),
    pool,
    async query<T>(name: string, text: string, values: unknown[]) {
      const result = await pool.query({ name, text, values });
      return result.rows as T[];
    },
    close: () => pool.end(),
  };
}
