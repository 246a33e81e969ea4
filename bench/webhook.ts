import { type ChildProcess, spawn } from 'node:child_process';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/client.js';
import { newMessageSid, signedSmsRequest } from '../src/sms/simulator.js';
import { freshBenchDatabase, openBenchCampaign } from './setup.js';

const DATABASE_NAME = 'pp_bench_webhook';
const DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${DATABASE_NAME}`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 16;

async function freshDatabase(): Promise<void> {
  await freshBenchDatabase(DATABASE_NAME);
  const database = createDatabase(DATABASE_URL);
  await openBenchCampaign(database.db);
  await database.close();
}

function startServer(kind: 'app' | 'bare', port: number): Promise<ChildProcess> {
  const child = spawn('node_modules/.bin/tsx', ['bench/servers.ts', kind, DATABASE_URL, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production', ...benchSecrets },
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve(child));
    child.on('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

const benchSecrets = {
  PHONE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  PHONE_INDEX_KEY: Buffer.alloc(32, 2).toString('base64'),
  SESSION_SECRET: Buffer.alloc(32, 3).toString('base64'),
  TWILIO_AUTH_TOKEN: 'bench-auth-token',
  PUBLIC_BASE_URL: 'https://pocketprotest.example.org',
};

function run(url: string, requests: Array<{ headers: Record<string, string>; body: string }>) {
  let next = 0;
  return autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        setupRequest: (request) => {
          const { headers, body } = requests[next++ % requests.length] ?? { headers: {}, body: '' };
          return { ...request, headers, body };
        },
      },
    ],
  });
}

/** A new supporter per request texting keyword + name: the whole signing path. */
function signingRequests(count: number) {
  const config = loadConfig({ ...benchSecrets });
  return Array.from({ length: count }, (_, i) => {
    const request = signedSmsRequest({
      serverUrl: '',
      publicBaseUrl: config.publicBaseUrl,
      authToken: config.twilio.authToken,
      accountSid: config.twilio.accountSid,
      from: `+4479${String(10_000_000 + i).padStart(8, '0')}`,
      body: `MAGAMED Supporter Number ${String.fromCharCode(65 + (i % 26))}`,
      messageSid: newMessageSid(),
    });
    return { headers: request.headers, body: request.body };
  });
}

export async function benchWebhook(): Promise<Array<Record<string, string | number>>> {
  await freshDatabase();
  const requests = signingRequests(Math.max(60_000, SECONDS * 6_000));
  const bare = await startServer('bare', 3101);
  const app = await startServer('app', 3102);
  try {
    // Warm both up (JIT, pools) before measuring.
    await run(
      'http://127.0.0.1:3101/bare',
      requests.slice(0, 2_000).map((r) => ({ ...r })),
    );
    const baseline = await run('http://127.0.0.1:3101/bare', requests);
    const signing = await run('http://127.0.0.1:3102/webhooks/twilio/sms', requests);
    const signed = await countSignatures();
    if (signing.non2xx > 0 || signing.errors > 0) {
      throw new Error(`the webhook answered ${signing.non2xx} non-2xx and ${signing.errors} errors`);
    }
    const row = (name: string, result: autocannon.Result) => ({
      benchmark: name,
      'req/s': Math.round(result.requests.average),
      'p50 ms': result.latency.p50,
      'p99 ms': result.latency.p99,
      requests: result.requests.total,
    });
    return [
      row('bare Fastify + 1 INSERT', baseline),
      row('signed webhook, full signing path', signing),
      {
        benchmark: 'ratio (webhook / bare), target >= 0.4',
        'req/s': Number((signing.requests.average / baseline.requests.average).toFixed(2)),
        'p50 ms': '',
        'p99 ms': '',
        requests: `${signed} signatures`,
      },
    ];
  } finally {
    bare.kill('SIGTERM');
    app.kill('SIGTERM');
  }
}

async function countSignatures(): Promise<number> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  const { rows } = await client.query('SELECT count(*)::int AS n FROM signatures');
  await client.end();
  return rows[0].n;
}
