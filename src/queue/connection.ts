import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ. Redis only carries work, so a connection that cannot reach it keeps
 * retrying quietly instead of failing the process: texts are still answered meanwhile.
 */
export function createRedis(url: string, options: { lazy?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    // Lazy: connects on its first command, so a process that never sends one (the CLI) opens none.
    lazyConnect: options.lazy ?? false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
  redis.on('error', () => {});
  return redis;
}
