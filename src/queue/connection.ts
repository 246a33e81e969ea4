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

/** ioredis's connection states in words: its `connect` means connected but not yet ready. */
const STATUS_WORDS: Record<string, string> = {
  wait: 'not connected yet',
  connecting: 'connecting',
  connect: 'connected but not ready yet',
  reconnecting: 'reconnecting',
  close: 'disconnected',
  end: 'disconnected',
};

/** Why a command was not sent: "Redis is reconnecting", never a state name cut into a sentence. */
export function redisNotReady(status: string): string {
  return `Redis is ${STATUS_WORDS[status] ?? `not ready (${status})`}`;
}
