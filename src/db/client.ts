import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';
import { isDatabaseUnreachable } from './unreachable.js';

export type Db = NodePgDatabase<typeof schema>;

/** A transaction or the database itself: a change and its audit row are written in one transaction. */
export type Tx = Pick<Db, 'insert' | 'select' | 'update' | 'delete' | 'execute'>;

/** The pg pool of a process, for code that hands it to a repository without importing pg. */
export type Pool = pg.Pool;

export interface Database {
  db: Db;
  pool: pg.Pool;
  /**
   * Runs a hot statement (an inbound text's) as a named prepared statement on connections of its own:
   * Postgres parses it once per connection and always runs its generic plan, and a flood of texts
   * cannot take the connections that staff pages and workers need.
   */
  query<T>(name: string, text: string, values: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Connections for hot statements; opened on first use, so a worker or CLI process opens none. */
const HOT_POOL_SIZE = 6;

function createPool(url: string, max: number, options?: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    application_name: 'pocket-protest',
    options,
  });
  // An idle client losing its connection (Postgres restart) must not crash the process; nor must a
  // client checked out between two statements of a transaction (a send holds one while Twilio answers):
  // its next statement fails instead, which the caller handles.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    releaseOnFailedBegin(client);
    discardAfterOutage(client);
  });
  return pool;
}

type Releasable = pg.PoolClient & { release?: (error?: Error | boolean) => void };

/**
 * drizzle's `transaction()` sends BEGIN before its try/finally, so a BEGIN that fails (a pooled
 * connection that Postgres dropped a moment ago, in an outage or a restart) never gives its client
 * back: each outage would leak a connection of the pool for good. A failed BEGIN releases the client
 * here, with the error, so the pool drops it; a later release of that checkout does nothing.
 */
function releaseOnFailedBegin(client: Releasable): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const first = args[0] as string | { text?: unknown } | undefined;
    const text = typeof first === 'string' ? first : first?.text;
    const result = query(...args);
    if (typeof text !== 'string' || !/^\s*begin\b/i.test(text) || !(result instanceof Promise)) return result;
    return result.catch((error: unknown) => {
      const release = client.release;
      if (release) {
        client.release = () => {};
        release(error instanceof Error ? error : new Error('BEGIN failed'));
      }
      throw error;
    });
  }) as typeof client.query;
}

/**
 * A client whose statement met an outage (its connection broken, the server shutting down, or a server
 * that is read-only: the old primary or a standby behind the service's address) is given back to the
 * pool with that error, so the pool closes it and the next checkout connects again, to wherever the
 * address points by then. pg's pool drops a client that errored only when it is released with the
 * error, which drizzle's transaction() does not do. `release` is the pool's for this checkout only.
 */
function discardAfterOutage(client: Releasable): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const result = query(...args);
    if (!(result instanceof Promise)) return result;
    return result.catch((error: unknown) => {
      const release = client.release;
      if (release && isDatabaseUnreachable(error)) {
        client.release = (given?: Error | boolean) => release(given ?? (error as Error));
      }
      throw error;
    });
  }) as typeof client.query;
}

/** The one database client of a process: a pg pool, the drizzle instance on it, and the hot statements. */
export function createDatabase(url: string, options: { max?: number } = {}): Database {
  const pool = createPool(url, options.max ?? 10);
  let hotPool: pg.Pool | null = null;
  return {
    db: drizzle(pool, { schema }),
    pool,
    async query<T>(name: string, text: string, values: unknown[]) {
      // A custom plan would be made again on every call: the statements take arrays, whose
      // lengths make each call look different to the planner, and planning costs more than running.
      hotPool ??= createPool(url, HOT_POOL_SIZE, '-c plan_cache_mode=force_generic_plan');
      const result = await hotPool.query({ name, text, values });
      return result.rows as T[];
    },
    async close() {
      await Promise.all([pool.end(), hotPool?.end()]);
    },
  };
}
