/**
 * `npm run bench -- import`: a 200,000-row member import through the staff API of the real product (web
 * only, production settings, a process of its own), timed, with that process's peak RSS read from
 * /proc; and a second import sent while the first runs, which must be refused with 409.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createDatabase } from '../src/db/client.js';
import { createStaffService } from '../src/staff/service.js';
import { realisticNames } from '../test/fax/realistic-names.js';
import { freePort } from '../test/helpers/free-port.js';
import { freshBenchDatabase } from './setup.js';

const DATABASE_NAME = 'pp_bench_import';
const DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${DATABASE_NAME}`;
const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 200_000);
const RSS_LIMIT_MB = 300;

const productionSettings = {
  NODE_ENV: 'production',
  PHONE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  PHONE_INDEX_KEY: Buffer.alloc(32, 2).toString('base64'),
  SESSION_SECRET: Buffer.alloc(32, 3).toString('base64'),
  TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
  PUBLIC_BASE_URL: 'https://pocketprotest.example.org',
  ALLOW_DRY_RUN: 'true',
};

/** The product in a process of its own, run by node itself so that its pid is the one measured. */
function startProduct(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/servers.ts', 'app', DATABASE_URL, String(port)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...productionSettings },
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve(child));
    child.on('exit', (code) => reject(new Error(`the product exited with ${code}`)));
  });
}

/** Resident set size now (VmRSS) and at its peak so far (VmHWM), in MB, from Linux's /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** An existing network's export: a valid UK mobile number, a realistic name, a consent date and source. */
function membersFile(rows: number): string {
  const names = realisticNames(rows);
  const lines = ['number,name,consent_date,consent_source'];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `+4477${String(10_000_000 + i).slice(-8)},"${names[i]?.replaceAll('"', '""')}",2024-03-01,paper form`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function importFile(port: number, token: string, file: string) {
  return fetch(`http://127.0.0.1:${port}/api/v1/members/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: file,
  });
}

export async function benchImport(): Promise<Array<Record<string, string | number>>> {
  await freshBenchDatabase(DATABASE_NAME);
  const database = createDatabase(DATABASE_URL, { max: 2 });
  const { token } = await createStaffService({ db: database.db, clock: () => new Date() }).create({
    email: 'bench@example.org',
    role: 'campaigner',
  });
  await database.close();
  const file = membersFile(ROWS);
  const port = await freePort();
  const product = await startProduct(port);
  try {
    const pid = product.pid as number;
    const idle = memoryOf(pid).rss;
    const started = performance.now();
    const first = importFile(port, token, file);
    // The second file arrives while the first is being read and written.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const second = await importFile(port, token, membersFile(10));
    const response = await first;
    const seconds = (performance.now() - started) / 1000;
    const result = (await response.json()) as { imported?: number; error?: { code: string } };
    if (!response.ok) throw new Error(`the import failed: ${response.status} ${JSON.stringify(result)}`);
    const { peak } = memoryOf(pid);
    return [
      {
        benchmark: `member import, ${ROWS.toLocaleString('en-GB')} rows (${(file.length / 1e6).toFixed(1)} MB)`,
        seconds: Number(seconds.toFixed(1)),
        'rows/s': Math.round(ROWS / seconds),
        imported: result.imported ?? 0,
        'peak RSS MB': peak,
        'idle RSS MB': idle,
        [`target < ${RSS_LIMIT_MB} MB`]: peak < RSS_LIMIT_MB ? 'yes' : 'NO',
      },
      {
        benchmark: 'a second import while it runs',
        seconds: '',
        'rows/s': '',
        imported: `HTTP ${second.status}`,
        'peak RSS MB': '',
        'idle RSS MB': '',
        [`target < ${RSS_LIMIT_MB} MB`]: second.status === 409 ? '409 as wanted' : 'NOT 409',
      },
    ];
  } finally {
    product.kill('SIGTERM');
  }
}
