import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/**
 * A PostgreSQL server of the test's own: the installed server's `initdb` and `pg_ctl`, run as the
 * `postgres` user, on a free port with its data in a temporary directory. Stopping it (a fast shutdown:
 * every connection is cut, as in an outage) and starting it again touch only this server.
 */
export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:<port>: add a database name. */
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port and data, and waits until it takes connections. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl')));
  if (!found) throw new Error('no PostgreSQL server installed under /usr/lib/postgresql');
  return found;
}

/** A server of the test's own that a failover test can also crash and promote. */
export interface OwnPostgresNode extends OwnPostgres {
  port: number;
  /** Stops it as a crash does (`pg_ctl stop -m immediate`): no checkpoint, every connection cut. */
  crash(): Promise<void>;
  /** Promotes a standby (`pg_ctl promote -w`): it takes writes once this resolves. */
  promote(): Promise<void>;
}

async function ownDirectory(): Promise<{ bin: string; dir: string; asRoot: boolean }> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'pp-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  return { bin, dir, asRoot };
}

/**
 * A server on a free port with its data in a temporary directory. `settings` are added to the
 * helper's own (`-c name=value`, later ones win); `create` makes the data directory.
 */
async function ownServer(
  settings: string[],
  create: (data: string, asPostgres: (program: string, args: string[]) => Promise<unknown>) => Promise<void>,
): Promise<OwnPostgresNode> {
  const { bin, dir, asRoot } = await ownDirectory();
  const port = await freePort();
  const data = join(dir, 'data');
  /** Runs a server program as the postgres user (PostgreSQL refuses to run as root). */
  const asPostgres = (program: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args])
      : run(join(bin, program), args);

  await create(data, asPostgres);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    ...settings.map((setting) => `-c ${setting}`),
  ].join(' ');
  const url = `postgres://postgres@127.0.0.1:${port}`;

  async function start() {
    await asPostgres('pg_ctl', [
      'start',
      '-D',
      data,
      '-w',
      '-t',
      '30',
      '-l',
      join(dir, 'log'),
      '-o',
      options,
    ]);
    // pg_ctl -w waits for the server; a first connection proves it takes them over TCP.
    const client = new pg.Client({ connectionString: `${url}/postgres` });
    await client.connect();
    await client.end();
  }

  async function stop() {
    await asPostgres('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '30']).catch(() => undefined);
  }

  // A test run that ends without destroy() (a hook timed out, the runner was stopped) stops it too.
  const stopAtExit = () => {
    try {
      const args = ['stop', '-D', data, '-m', 'immediate', '-w'];
      if (asRoot)
        execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
      else execFileSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopAtExit);

  await start();
  return {
    url,
    port,
    start,
    stop,
    async crash() {
      await asPostgres('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']).catch(
        () => undefined,
      );
    },
    async promote() {
      await asPostgres('pg_ctl', ['promote', '-D', data, '-w', '-t', '30']);
    },
    async destroy() {
      process.off('exit', stopAtExit);
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const initdb = (settings: string[] = []) =>
  ownServer(settings, async (data, asPostgres) => {
    await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  });

/** `settings` (`name=value`) come after the helper's own, which suit a test: no fsync, no full-page writes. */
export async function startOwnPostgres(settings: string[] = []): Promise<OwnPostgres> {
  return initdb(settings);
}

/**
 * A primary and a synchronous streaming standby (`pg_basebackup -R`): a commit returns once the standby
 * has it, so a promotion loses no committed row, as a managed service's high-availability pair does.
 */
export async function startPrimaryAndStandby(): Promise<{
  primary: OwnPostgresNode;
  standby: OwnPostgresNode;
}> {
  const primary = await initdb([
    'wal_level=replica',
    'max_wal_senders=5',
    'synchronous_commit=on',
    "synchronous_standby_names='standby1'",
  ]);
  const standby = await ownServer(['hot_standby=on'], async (data, asPostgres) => {
    await asPostgres('pg_basebackup', [
      '-D',
      data,
      '-R',
      '-X',
      'stream',
      '-d',
      `host=127.0.0.1 port=${primary.port} user=postgres application_name=standby1`,
    ]);
  });
  // Synchronous once the primary says so: until then a commit would not wait for the standby.
  const client = new pg.Client({ connectionString: `${primary.url}/postgres` });
  await client.connect();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await client.query<{ sync_state: string }>(
        "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
      );
      if (rows[0]?.sync_state === 'sync') break;
      if (Date.now() > deadline) throw new Error('the standby did not become synchronous within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
  return { primary, standby };
}
