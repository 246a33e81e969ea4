import type { Cluster, Redis } from 'ioredis';
import { cacheAndNetworkBytes, selectOne, singleConnection } from './repository.js';

/** One connection to Postgres or Redis, opened, asked one question and closed: start-up and the doctor. */

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface PostgresCheck {
  /** False when the server answered but the database is not there yet (start-up creates it). */
  databaseExists: boolean;
  /** Bytes of Postgres's buffer cache and of the network's table and indexes (null: no database yet). */
  cache: { sharedBuffers: number; network: number } | null;
}

/**
 * Connects once, runs `select 1` and reads the cache's size against the network's; throws with
 * Postgres's own message when it cannot.
 */
export async function checkPostgres(url: string, timeoutMs = 5_000): Promise<PostgresCheck> {
  const client = singleConnection(url, timeoutMs);
  try {
    await withTimeout(client.connect(), timeoutMs + 500, 'Postgres');
    await selectOne(client);
    return { databaseExists: true, cache: await cacheAndNetworkBytes(client) };
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return { databaseExists: false, cache: null };
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Pings Redis once and reads its eviction policy (null where the server does not allow CONFIG), on a
 * connection made lazy and fail-fast by the factory (`createRedis(config.redis, { lazy, failFast })`),
 * then closed.
 */
export async function checkRedis(
  redis: Redis | Cluster,
  timeoutMs = 5_000,
): Promise<{ maxmemoryPolicy: string | null }> {
  let lastError: unknown = null;
  redis.on('error', (error) => {
    lastError = error;
  });
  try {
    await withTimeout(redis.connect(), timeoutMs + 500, 'Redis').catch((error: unknown) => {
      throw lastError ?? error;
    });
    await redis.ping();
    const policy = await redis.config('GET', 'maxmemory-policy').catch(() => null);
    return { maxmemoryPolicy: Array.isArray(policy) ? String(policy[1]) : null };
  } finally {
    redis.disconnect();
  }
}
