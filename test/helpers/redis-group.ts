import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/**
 * Redis servers of a failover test's own, on free ports, with their files in a temporary directory:
 * a Sentinel group (a master, a replica, three sentinels) or a Cluster of three masters. Only these
 * are ever killed.
 */
interface Server {
  port: number;
  child: ChildProcess;
}

async function answers(port: number, within = 10_000): Promise<void> {
  const deadline = Date.now() + within;
  for (;;) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis on ${port} did not answer`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
}

/** One question to a server, on a connection opened and closed for it. */
export async function ask<T>(port: number, question: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await question(redis);
  } finally {
    redis.disconnect();
  }
}

function servers(dir: string) {
  const started: Server[] = [];
  const killAll = () => {
    for (const server of started) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  return {
    async start(args: string[], port?: number): Promise<Server> {
      const own = port ?? (await freePort());
      const child = spawn('redis-server', [...args, '--port', String(own), '--bind', '127.0.0.1'], {
        stdio: 'ignore',
        cwd: dir,
      });
      const server = { port: own, child };
      started.push(server);
      await answers(own);
      return server;
    },
    async kill(server: Server): Promise<void> {
      if (server.child.exitCode !== null || server.child.signalCode !== null) return;
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGKILL');
      await exited;
    },
    async stopAll(): Promise<void> {
      process.off('exit', killAll);
      await Promise.all(
        started.map(async (server) => {
          if (server.child.exitCode !== null || server.child.signalCode !== null) return;
          const exited = new Promise((resolve) => server.child.once('exit', resolve));
          server.child.kill('SIGKILL');
          await exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const DATA = ['--save', '', '--appendonly', 'no', '--daemonize', 'no'];

async function waitUntil(probe: () => Promise<boolean>, what: string, within = 30_000): Promise<void> {
  const deadline = Date.now() + within;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface SentinelGroup {
  /** REDIS_SENTINELS and REDIS_SENTINEL_NAME for the product. */
  env: Record<string, string>;
  masterPort(): Promise<number>;
  /**
   * Cuts the replica off the master, as a network partition does: the replica is frozen (SIGSTOP) and
   * its link closed by the master, so what the master acknowledges from now on never reaches it.
   */
  partition(): Promise<void>;
  /** SIGKILLs the current master (and thaws a partitioned replica); returns the old master's port. */
  killMaster(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A master, a replica and three sentinels (quorum 2) that call the master down after a second: a
 * failover takes a few seconds.
 */
export async function startSentinelGroup(name = 'pp'): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-sentinel-'));
  const group = servers(dir);
  const master = await group.start([...DATA]);
  const replica = await group.start([...DATA, '--replicaof', '127.0.0.1', String(master.port)]);
  const nodes = [master, replica];
  const sentinels: Server[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(await group.start([file, '--sentinel', '--daemonize', 'no'], port));
  }
  // Ready for a failover: the replica in sync, and every sentinel knowing the replica and the others.
  await waitUntil(
    async () => /master_link_status:up/.test(await ask(replica.port, (r) => r.info('replication'))),
    'the replica to sync',
  );
  for (const sentinel of sentinels) {
    await waitUntil(async () => {
      const [replicas, others] = await ask(sentinel.port, async (r) => [
        (await r.call('SENTINEL', 'REPLICAS', name)) as unknown[],
        (await r.call('SENTINEL', 'SENTINELS', name)) as unknown[],
      ]);
      return replicas.length === 1 && others.length === 2;
    }, 'the sentinels to know each other and the replica');
  }
  const masterPort = async () => {
    for (const sentinel of sentinels) {
      const address = await ask(sentinel.port, (r) =>
        r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name),
      ).catch(() => null);
      if (Array.isArray(address)) return Number(address[1]);
    }
    throw new Error('no sentinel answers');
  };
  return {
    env: {
      REDIS_SENTINELS: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      REDIS_SENTINEL_NAME: name,
    },
    masterPort,
    async partition() {
      const port = await masterPort();
      for (const node of nodes) if (node.port !== port) node.child.kill('SIGSTOP');
      await ask(port, (r) => r.call('CLIENT', 'KILL', 'TYPE', 'replica'));
    },
    async killMaster() {
      const port = await masterPort();
      const current = nodes.find((node) => node.port === port);
      if (!current) throw new Error(`no node of the group on ${port}`);
      await group.kill(current);
      for (const node of nodes)
        if (node !== current && node.child.exitCode === null) node.child.kill('SIGCONT');
      return port;
    },
    stop: group.stopAll,
  };
}

export interface RedisCluster {
  /** REDIS_CLUSTER_NODES for the product. */
  env: Record<string, string>;
  ports: number[];
  stop(): Promise<void>;
}

/** Three masters made one cluster by `redis-cli --cluster create`, each holding a third of the slots. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-cluster-'));
  const group = servers(dir);
  const nodes: Server[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    nodes.push(
      await group.start(
        [
          ...DATA,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
        ],
        port,
      ),
    );
  }
  await run('redis-cli', [
    '--cluster',
    'create',
    ...nodes.map((n) => `127.0.0.1:${n.port}`),
    '--cluster-yes',
  ]);
  for (const node of nodes) {
    await waitUntil(
      async () => /cluster_state:ok/.test(String(await ask(node.port, (r) => r.call('CLUSTER', 'INFO')))),
      'the cluster to be ok',
    );
  }
  return {
    env: { REDIS_CLUSTER_NODES: nodes.map((n) => `127.0.0.1:${n.port}`).join(',') },
    ports: nodes.map((n) => n.port),
    stop: group.stopAll,
  };
}
