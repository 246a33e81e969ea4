import pg from 'pg';

/**
 * The questions ops asks Postgres: whether it answers. They touch no table; readiness, the doctor,
 * start-up and the spool use them on whichever pool or connection they mean to probe.
 */

/** A process's pg pool, as readiness samples it. */
export type Pool = pg.Pool;

/** A pool or a connection: anything that runs one statement. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** Runs `SELECT 1`: throws when Postgres does not answer on this pool or connection. */
export async function selectOne(executor: Queryable): Promise<void> {
  await executor.query('SELECT 1');
}

/**
 * Postgres's buffer cache (`shared_buffers`) and the size of the network's table with its indexes
 * (0 before the first migration), in bytes.
 */
export async function cacheAndNetworkBytes(
  executor: Queryable,
): Promise<{ sharedBuffers: number; network: number }> {
  const { rows } = await executor.query<{ shared_buffers: string; network: string }>(
    `SELECT pg_size_bytes(current_setting('shared_buffers'))::text AS shared_buffers,
            coalesce(pg_total_relation_size(to_regclass('supporters')), 0)::text AS network`,
  );
  return { sharedBuffers: Number(rows[0]?.shared_buffers), network: Number(rows[0]?.network) };
}

/** A connection of its own to `url` (not yet connected), for one question at start-up or in the doctor. */
export function singleConnection(url: string, timeoutMs: number): pg.Client {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // An error after the question (the server going away) must not crash the process.
  client.on('error', () => {});
  return client;
}
