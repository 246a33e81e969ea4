import { type ChildProcess, fork } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/**
 * The real workers in a process of their own (test/fax/crash-worker.ts), so that a test can SIGKILL
 * them at any instant. The script is bundled once: loading TypeScript through tsx takes seconds at
 * each start.
 */
export interface WorkerProcesses {
  /** Forks a worker process with `env` added; resolves once its workers have started. */
  start(): Promise<ChildProcess>;
  kill(child: ChildProcess): Promise<void>;
  /** Kills every process still running and removes the bundle and its files. */
  close(): Promise<void>;
}

const STARTED_WITHIN_MS = 20_000;

export function workerProcesses(
  env: Record<string, string>,
  /** The script to run, which sends a message once started; the fax crash test's workers by default. */
  entry = join(import.meta.dirname, '../fax/crash-worker.ts'),
): WorkerProcesses {
  const dir = join(
    import.meta.dirname,
    `../../node_modules/.cache/pp-worker-process/worker-${process.pid}-${Date.now()}`,
  );
  const bundle = join(dir, 'worker.js');
  mkdirSync(dir, { recursive: true });
  // The members import's check threads are a module of their own, loaded from beside the module that
  // starts them (src/members/check-pool.ts), as in dist/: here, beside the bundle.
  buildSync({
    entryPoints: {
      worker: entry,
      'check-thread': join(import.meta.dirname, '../../src/members/check-thread.ts'),
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    target: 'node20',
    outdir: dir,
  });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  // The bundle stands where the modules that read their files beside them (`./assets/`) now are.
  for (const assets of ['../../src/console/assets', '../../src/public/assets']) {
    cpSync(join(import.meta.dirname, assets), join(dir, 'assets'), { recursive: true });
  }
  const children = new Set<ChildProcess>();

  async function kill(child: ChildProcess) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  return {
    async start() {
      const child = fork(bundle, [], {
        env: { ...process.env, ...env },
        execArgv: [],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the worker process did not start')),
          STARTED_WITHIN_MS,
        );
        child.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the worker process exited with ${code}`));
        });
      });
      return child;
    },
    kill,
    async close() {
      await Promise.all([...children].map(kill));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
