import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Metrics } from './metrics.js';

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

export interface HealthDeps {
  pool: pg.Pool;
  redis: Redis;
  metrics: Metrics;
}

/**
 * Readiness is 503 only without Postgres: texts are recorded and answered while Redis is down, so
 * Redis down is reported as degraded, not unready.
 */
export function healthRoutes({ pool, redis, metrics }: HealthDeps) {
  return async (app: FastifyInstance) => {
    app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

    app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
      const [db, queue] = await Promise.all([
        check(() => pool.query('SELECT 1')),
        check(() => (REDIS_DOWN.has(redis.status) ? Promise.reject(new Error(redis.status)) : redis.ping())),
      ]);
      const status = db === 'down' ? 'unready' : queue === 'down' ? 'degraded' : 'ready';
      return reply.status(db === 'up' ? 200 : 503).send({ status, checks: { db, redis: queue } });
    });

    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  };
}
