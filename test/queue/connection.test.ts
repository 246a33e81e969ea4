import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { redisOptions } from '../../src/queue/connection.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the Redis connection factory', () => {
  it('is the only code that makes a Redis connection: no other file imports ioredis except its types', () => {
    const offenders = [...sources('src'), ...sources('workers')].filter((file) => {
      if (file === join('src', 'queue', 'connection.ts')) return false;
      const text = readFileSync(file, 'utf8');
      const valueImport = /^import\s+(?!type\b)[^;]*from\s+'ioredis'/m.test(text);
      return valueImport || /new\s+(Redis|Cluster)\s*\(/.test(text) || /require\(\s*'ioredis'/.test(text);
    });
    expect(offenders).toEqual([]);
  });

  it('gives BullMQ connections no per-command retry limit, whichever way Redis is reached', () => {
    for (const env of [
      {},
      { REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'pp' },
      { REDIS_CLUSTER_NODES: '127.0.0.1:7000' },
    ]) {
      const made = redisOptions(loadConfig(env).redis);
      const options = made.kind === 'cluster' ? made.options.redisOptions : made.options;
      expect(options.maxRetriesPerRequest).toBeNull();
    }
  });

  it('passes the password and TLS to the data nodes and the sentinels alike', () => {
    const made = redisOptions(
      loadConfig({
        REDIS_SENTINELS: 's1:26379,s2:26379',
        REDIS_SENTINEL_NAME: 'pp',
        REDIS_SENTINEL_PASSWORD: 'sp',
        REDIS_PASSWORD: 'dp',
        REDIS_TLS: 'true',
      }).redis,
    );
    expect(made.kind).toBe('sentinel');
    expect(made.options).toMatchObject({
      name: 'pp',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      password: 'dp',
      sentinelPassword: 'sp',
      tls: {},
      enableTLSForSentinelMode: true,
    });
    const cluster = redisOptions(
      loadConfig({ REDIS_CLUSTER_NODES: 'c:7000', REDIS_PASSWORD: 'dp', REDIS_TLS: 'true' }).redis,
    );
    expect(cluster.kind === 'cluster' && cluster.options.redisOptions).toMatchObject({
      password: 'dp',
      tls: {},
    });
  });
});
