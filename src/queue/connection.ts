import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config.js';
import { safeUrl } from '../ops/addresses.js';

/**
 * The one place a Redis connection is made (a test keeps it so): BullMQ's queues and workers, the
 * outbox relay, the rate limits, the spool stream and its lock, the watchdog and the health check all
 * get theirs here, whether Redis is one server, a Sentinel group or a Cluster.
 */
export type RedisClient = Redis | Cluster;

export interface ConnectionOptions {
  /** Connects on its first command, so a process that never sends one (the CLI) opens none. */
  lazy?: boolean;
  /**
   * One connection attempt, no waiting, no reconnecting: a check (start-up, the doctor) that opens a
   * connection, asks one question and closes it.
   */
  failFast?: boolean;
  /** With failFast: how long connecting may take. */
  connectTimeoutMs?: number;
}

/** Growing waits up to 5 s: Redis only carries work, so the process waits for it quietly. */
const retry = (attempt: number) => Math.min(attempt * 200, 5_000);

function nodeOptions(target: RedisTarget, options: ConnectionOptions): RedisOptions {
  return {
    ...(target.password === null ? {} : { password: target.password }),
    ...(target.tls ? { tls: {} } : {}),
    // BullMQ's workers block on their connection and want no per-command retry limit.
    maxRetriesPerRequest: options.failFast ? 0 : null,
    ...(options.failFast
      ? { enableOfflineQueue: false, connectTimeout: options.connectTimeoutMs ?? 5_000 }
      : {}),
    lazyConnect: options.lazy ?? false,
  };
}

/** The options ioredis is given for `target`: pure, so that a test can read them. */
export function redisOptions(target: RedisTarget, options: ConnectionOptions = {}) {
  const common = nodeOptions(target, options);
  const retryStrategy = options.failFast ? () => null : retry;
  switch (target.kind) {
    case 'single':
      return { kind: 'single' as const, url: target.url, options: { ...common, retryStrategy } };
    case 'sentinel':
      return {
        kind: 'sentinel' as const,
        options: {
          ...common,
          retryStrategy,
          sentinels: target.sentinels,
          name: target.name,
          ...(target.sentinelPassword === null ? {} : { sentinelPassword: target.sentinelPassword }),
          ...(target.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
          // No `failoverDetector`: in ioredis 6.0 its +switch-master arriving while the connection is
          // already asking the sentinels again ends the connection for good (status "end"), which the
          // failover test met. A lost master's socket closes, and the connection asks the sentinels then.
          sentinelRetryStrategy: retryStrategy,
        } satisfies RedisOptions,
      };
    case 'cluster': {
      const { lazyConnect, ...redisOptions } = common;
      return {
        kind: 'cluster' as const,
        nodes: target.nodes,
        options: {
          lazyConnect,
          redisOptions,
          clusterRetryStrategy: retryStrategy,
          enableOfflineQueue: !options.failFast,
          // Managed clusters with TLS present certificates for the names they were asked by, not for
          // the addresses the cluster's own map gives.
          ...(target.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
        } satisfies ClusterOptions,
      };
    }
  }
}

/**
 * A Redis connection that cannot reach Redis keeps retrying quietly instead of failing the process:
 * texts are still answered meanwhile. `target` is `config.redis`, or a redis:// URL (tests).
 */
export function createRedis(target: RedisTarget | string, options: ConnectionOptions = {}): RedisClient {
  const resolved: RedisTarget =
    typeof target === 'string' ? { kind: 'single', url: target, password: null, tls: false } : target;
  const made = redisOptions(resolved, options);
  const redis =
    made.kind === 'single'
      ? new Redis(made.url, made.options)
      : made.kind === 'sentinel'
        ? new Redis(made.options)
        : new Cluster(made.nodes, made.options);
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

/**
 * A second connection to the same Redis whose commands fail at once, rather than wait, while it is not
 * ready, and take at most `commandTimeoutMs`: for counts a request must not wait on (the rate limits).
 * It reconnects like the first.
 */
export function duplicateFailFast(redis: RedisClient, commandTimeoutMs: number): RedisClient {
  const failFast = { maxRetriesPerRequest: 0, commandTimeout: commandTimeoutMs };
  const copy =
    redis instanceof Cluster
      ? redis.duplicate(undefined, {
          enableOfflineQueue: false,
          redisOptions: { ...redis.options.redisOptions, ...failFast },
        })
      : redis.duplicate({ ...failFast, enableOfflineQueue: false });
  copy.on('error', () => {});
  return copy;
}

/** Where Redis is, for messages: never its password. */
export function describeRedis(target: RedisTarget): string {
  const list = (nodes: { host: string; port: number }[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  switch (target.kind) {
    case 'single':
      return `${safeUrl(target.url)} (REDIS_URL)`;
    case 'sentinel':
      return `master "${target.name}" of sentinels ${list(target.sentinels)} (REDIS_SENTINELS)`;
    case 'cluster':
      return `cluster ${list(target.nodes)} (REDIS_CLUSTER_NODES)`;
  }
}
