import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, uniqueDatabaseUrl } from '../helpers/database.js';

const run = promisify(execFile);
const databaseUrl = uniqueDatabaseUrl();
let server: ChildProcess;
let env: NodeJS.ProcessEnv;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const cli = (...args: string[]) => run('node_modules/.bin/tsx', ['src/cli.ts', ...args], { env });

/** What a new user does after cloning: start the product, load the demo, text it from a terminal. */
beforeAll(async () => {
  const port = await freePort();
  env = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    FAX_OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'pp-outbox-')),
  };
  server = spawn('node_modules/.bin/tsx', ['src/server.ts', 'all'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`${env.PUBLIC_BASE_URL}/readyz`).catch(() => null);
    if (ready?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server did not become ready');
}, 40_000);

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await dropDatabase(databaseUrl);
});

describe('first run', () => {
  it('npm start answers /readyz, creating and migrating the database it was given', async () => {
    const ready = await fetch(`${env.PUBLIC_BASE_URL}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { db: 'up', redis: 'up', spool: 'idle' } });
  });

  it('demo loads the campaigns and the sms command prints a thank-you to Jane Smith', async () => {
    const demo = await cli('demo');
    expect(demo.stdout).toMatch(/MAGAMED\s+open/);
    const { stdout } = await cli('sms', '--from', '+447700900123', 'MAGAMED Jane Smith');
    expect(stdout).toMatch(/Thank you,? Jane Smith/);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
