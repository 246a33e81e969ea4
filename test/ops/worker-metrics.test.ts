import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, REDIS_URL, uniqueDatabaseUrl } from '../helpers/database.js';

/** `npm run start:worker` as an operator runs it: its own /metrics on METRICS_PORT for Prometheus. */
const databaseUrl = uniqueDatabaseUrl();
let worker: ChildProcess;
let stderr = '';
let port: number;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  port = await freePort();
  worker = spawn('node_modules/.bin/tsx', ['src/server.ts', 'worker'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      HOST: '127.0.0.1',
      METRICS_PORT: String(port),
      QUEUE_PREFIX: `{pp_test_${randomBytes(4).toString('hex')}}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  worker.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const deadline = Date.now() + 60_000;
  while (!stderr.includes('workers are running')) {
    if (Date.now() > deadline || worker.exitCode !== null)
      throw new Error(`the worker did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 70_000);

afterAll(async () => {
  if (worker.exitCode === null) {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
  await dropDatabase(databaseUrl);
});

describe('a worker process', () => {
  it('says where its metrics are and serves them there: queues, readiness, process', async () => {
    expect(stderr).toContain(`metrics on port ${port}`);
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const queue of ['sms-send', 'broadcasts', 'fax-render', 'fax-deliver', 'maintenance']) {
      expect(text).toMatch(new RegExp(`^pp_queue_oldest_waiting_seconds\\{queue="${queue}"\\} \\d`, 'm'));
    }
    expect(text).toMatch(/^pp_dependency_up\{dependency="postgres"\} 1$/m);
    expect(text).toMatch(/^pp_dependency_up\{dependency="redis"\} 1$/m);
    expect(text).toMatch(/^pp_process_start_time_seconds \d+/m);
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404);
  });

  it('closes its metrics listener with the rest on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
