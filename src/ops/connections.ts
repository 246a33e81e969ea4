import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Saying which service could not be reached, where, and through which variable: used by `npm start`,
 * the command line and the doctor. An address is shown without its password.
 */

/** The URL with any password replaced by `***` (a Postgres or Redis URL may carry one). */
export function safeUrl(raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

/** One line for an error: the first address tried when a name resolved to several, never a stack. */
export function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const text = error.message || (typeof code === 'string' ? code : error.name);
    return text.split('\n')[0] ?? text;
  }
  return String(error);
}

export function unreachable(service: string, variable: string, url: string, error: unknown): string {
  return `Cannot reach ${service} at ${safeUrl(url)} (${variable}): ${reason(error)}`;
}

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
}

/** Connects once and runs `select 1`; throws with Postgres's own message when it cannot. */
export async function checkPostgres(url: string, timeoutMs = 5_000): Promise<PostgresCheck> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), timeoutMs + 500, 'Postgres');
    await client.query('select 1');
    return { databaseExists: true };
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return { databaseExists: false };
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Pings Redis once and reads its eviction policy (null where the server does not allow CONFIG). */
export async function checkRedis(
  url: string,
  timeoutMs = 5_000,
): Promise<{ maxmemoryPolicy: string | null }> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
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

/**
 * Where this machine reaches a server listening on HOST and PORT: `localhost` (or, for a program's own
 * requests, 127.0.0.1) when it listens on every address.
 */
export function localServerUrl(host: string, port: number, { forHumans = false } = {}): string {
  const everywhere = ['0.0.0.0', '::', ''].includes(host);
  const name = everywhere ? (forHumans ? 'localhost' : '127.0.0.1') : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}
