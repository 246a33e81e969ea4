import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FastifyRateLimitOptions, FastifyRateLimitStore } from '@fastify/rate-limit';
import type { Cluster, Redis } from 'ioredis';

/** What @fastify/rate-limit's stores give back for a key: hits in its window and the window's time left. */
interface Count {
  current: number;
  ttl: number;
}
type Callback = (error: Error | null, result?: Count) => void;
interface PluginStore {
  incr(key: string, callback: Callback, timeWindow: number, max: number): void;
  read(key: string, callback: Callback, timeWindow: number, max?: number): void;
}
type LocalStoreCtor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache?: number,
) => PluginStore;
type RedisStoreCtor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis | Cluster,
  key: string,
) => PluginStore;

// The plugin's own two stores (its Lua script in Redis, its LRU in the process), which it does not export
// by name.
const localRequire = createRequire(import.meta.url);
const LocalStore = localRequire('@fastify/rate-limit/store/LocalStore') as LocalStoreCtor;
const RedisStore = localRequire('@fastify/rate-limit/store/RedisStore') as RedisStoreCtor;

/** A short, fixed-length key part for anything a client sends (a token, an e-mail): never kept in clear. */
export const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 24);

/**
 * Rate-limit counts shared by every web process through Redis (@fastify/rate-limit's Redis store, on a
 * connection of its own that fails fast), and counted in this process alone while Redis cannot answer:
 * limits are kept loosely during an outage rather than not at all, and no request waits on Redis for
 * more than 250 ms.
 */
export function createLimits(
  /** A connection of the limits' own, from the factory's `duplicateFailFast(redis, 250)`. */
  connection: Redis | Cluster,
  prefix: string,
) {
  function store(namespace: string, continueExceeding: boolean): PluginStore {
    const local = new LocalStore(continueExceeding, false);
    let remote: PluginStore | null = null;
    const call =
      (method: 'incr' | 'read') => (key: string, callback: Callback, timeWindow: number, max: number) => {
        if (connection.status !== 'ready') {
          local[method](key, callback, timeWindow, max);
          return;
        }
        remote ??= new RedisStore(continueExceeding, false, connection, `${prefix}:limits:${namespace}:`);
        remote[method](
          key,
          (error, result) => (error ? local[method](key, callback, timeWindow, max) : callback(null, result)),
          timeWindow,
          max,
        );
      };
    return { incr: call('incr'), read: call('read') };
  }

  return {
    /** A store class for the plugin itself (`store:` option), under `namespace`. */
    pluginStore(namespace: string) {
      return class {
        readonly incr: PluginStore['incr'];
        constructor(_options: FastifyRateLimitOptions) {
          this.incr = store(namespace, false).incr;
        }
        // Route-level limits would get a store of their own here; the API has one limit for all routes.
        child(): FastifyRateLimitStore {
          return this as unknown as FastifyRateLimitStore;
        }
      };
    },

    /**
     * Failures (wrong passwords, unknown tokens) counted per key: the first `free` cost nothing, then
     * each further try waits 1 s, 2 s, 4 s … up to `maxWaitMs` after the failure before it, so a
     * guesser is slowed to a crawl while a colleague whose name is being guessed waits at most
     * `maxWaitMs`, never a lock-out. The count is forgotten `windowMs` after the last failure.
     */
    failures(namespace: string, rule: { free: number; windowMs: number; maxWaitMs: number }) {
      const counts = store(namespace, true);
      // The store restarts the window at each hit past its `max` (continueExceeding): from the
      // `free`-th failure on, what has run of the window is the time since the last failure.
      const count = (method: 'incr' | 'read', key: string) =>
        new Promise<Count>((resolve, reject) =>
          counts[method](
            key,
            (error, result) => (error || !result ? reject(error) : resolve(result)),
            rule.windowMs,
            rule.free - 1,
          ),
        );
      return {
        /** How long `key` must still wait before its next try, in ms (0: go ahead). */
        async waitFor(key: string): Promise<number> {
          const { current, ttl } = await count('read', key);
          if (current < rule.free) return 0;
          const wait = Math.min(rule.maxWaitMs, 1000 * 2 ** (current - rule.free));
          return Math.max(0, wait - (rule.windowMs - ttl));
        },
        async recordFailure(key: string): Promise<void> {
          await count('incr', key);
        },
      };
    },

    /** Resolves once Redis answers, or after `ms`: counts start shared rather than in two places. */
    connected(ms: number): Promise<void> {
      if (connection.status === 'ready') return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          connection.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        connection.once('ready', done);
      });
    },

    close() {
      connection.disconnect();
    },
  };
}

export type Limits = ReturnType<typeof createLimits>;
