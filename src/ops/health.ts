import type { FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Metrics } from './metrics.js';
import { type Pool, selectOne } from './repository.js';

type Check = 'up' | 'down';

/** Connection states in which a ping would only wait in ioredis's offline queue. */
const REDIS_DOWN = new Set(['reconnecting', 'close', 'end']);

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);
}

async function check(probe: () => Promise<unknown>): Promise<Check> {
  try {
    await within(probe(), 2_000);
    return 'up';
  } catch {
    return 'down';
  }
}

export interface ReadinessDeps {
  pool: Pool;
  redis: Redis | Cluster;
}

export interface HealthDeps extends ReadinessDeps {
  metrics: Metrics;
  /** Whether inbound texts could be spooled now, and whether the spool is in use. */
  spool: { state(databaseUp: boolean, redisUp: boolean): Promise<'idle' | 'in use' | 'unavailable'> };
}

/** Whether this process reaches Postgres and Redis now: /readyz and the pp_dependency_up gauge. */
export async function dependencies({ pool, redis }: ReadinessDeps): Promise<{ db: Check; redis: Check }> {
  const [db, queue] = await Promise.all([
    check(() => selectOne(pool)),
    check(() => (REDIS_DOWN.has(redis.status) ? Promise.reject(new Error(redis.status)) : redis.ping())),
  ]);
  return { db, redis: queue };
}

/** The samples of pp_dependency_up{dependency}. */
export async function dependencySamples(deps: ReadinessDeps) {
  const { db, redis } = await dependencies(deps);
  return [
    { labels: { dependency: 'postgres' }, value: db === 'up' ? 1 : 0 },
    { labels: { dependency: 'redis' }, value: redis === 'up' ? 1 : 0 },
  ];
}

/**
 * Readiness is 503 only when a text could be neither recorded nor spooled: texts are recorded and
 * answered while Redis is down, and spooled (in Redis, else in a file) while Postgres is down, so
 * either is reported as degraded, not unready.
 */
export function healthRoutes({ pool, redis, metrics, spool }: HealthDeps) {
  return async (app: FastifyInstance) => {
    app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

    app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
      const { db, redis: queue } = await dependencies({ pool, redis });
      const spooling = await within(spool.state(db === 'up', queue === 'up'), 2_000).catch(
        () => 'unavailable' as const,
      );
      const unready = db === 'down' && spooling === 'unavailable';
      const status = unready ? 'unready' : db === 'down' || queue === 'down' ? 'degraded' : 'ready';
      return reply
        .status(unready ? 503 : 200)
        .send({ status, checks: { db, redis: queue, spool: spooling } });
    });

    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  };
}
