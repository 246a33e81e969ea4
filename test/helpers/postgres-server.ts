import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../fax/sinch-setup.js';

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

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pp-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  /** Runs a server program as the postgres user (PostgreSQL refuses to run as root). */
  const asPostgres = (program: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, program), ...args])
      : run(join(bin, program), args);

  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
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
    start,
    stop,
    async destroy() {
      process.off('exit', stopAtExit);
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
