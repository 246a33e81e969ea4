import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ. Redis only carries work, so a connection that cannot reach it keeps
 * retrying quietly instead of failing the process: texts are still answered meanwhile.
 */
export function createRedis(url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
  redis.on('error', () => {});
  return redis;
}
