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
/** Each server is measured in this many turns, taking turns with the other. */
const ROUNDS = 4;

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
  TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
  PUBLIC_BASE_URL: 'https://pocketprotest.example.org',
  // Production settings, sending nothing: SMS_PROVIDER=log and FAX_PROVIDER=file, said to be meant.
  ALLOW_DRY_RUN: 'true',
};

type SignedRequest = { headers: Record<string, string>; body: string };

/** Hands out the requests in order across runs, so that no text is ever sent twice. */
function cursor(requests: SignedRequest[]) {
  let next = 0;
  return () => requests[next++ % requests.length] ?? { headers: {}, body: '' };
}

function run(url: string, take: () => SignedRequest, seconds: number) {
  return autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, ...take() }) }],
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

interface Totals {
  requests: number;
  seconds: number;
  p50: number[];
  p99: number[];
  failures: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function benchWebhook(): Promise<Array<Record<string, string | number>>> {
  await freshDatabase();
  const requests = signingRequests(Math.max(60_000, SECONDS * 8_000));
  const bare = await startServer('bare', 3101);
  const app = await startServer('app', 3102);
  const servers = {
    bare: { url: 'http://127.0.0.1:3101/bare', take: cursor(requests) },
    app: { url: 'http://127.0.0.1:3102/webhooks/twilio/sms', take: cursor(requests) },
  };
  const noTotals = (): Totals => ({ requests: 0, seconds: 0, p50: [], p99: [], failures: 0 });
  const totals = { bare: noTotals(), app: noTotals() };
  try {
    // Warm both up (JIT, pools, prepared statements) before measuring.
    for (const server of Object.values(servers)) await run(server.url, server.take, 2);
    const warmUpTexts = await countSignatures();
    // The two take turns, so that a slower spell of this shared machine weighs on both alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['bare', 'app'] as const) {
        const result = await run(servers[kind].url, servers[kind].take, SECONDS / ROUNDS);
        const total = totals[kind];
        total.requests += result.requests.total;
        total.seconds += result.duration;
        total.p50.push(result.latency.p50);
        total.p99.push(result.latency.p99);
        total.failures += result.non2xx + result.errors;
      }
    }
    if (totals.app.failures > 0) throw new Error(`the webhook failed ${totals.app.failures} requests`);
    const signed = (await countSignatures()) - warmUpTexts;
    const rate = (total: Totals) => total.requests / total.seconds;
    const row = (name: string, total: Totals) => ({
      benchmark: name,
      'req/s': Math.round(rate(total)),
      'p50 ms': median(total.p50),
      'p99 ms': median(total.p99),
      requests: total.requests,
    });
    return [
      row('bare Fastify + 1 INSERT', totals.bare),
      row('signed webhook, full signing path', totals.app),
      {
        benchmark: 'ratio (webhook / bare), target >= 0.4',
        'req/s': Number((rate(totals.app) / rate(totals.bare)).toFixed(2)),
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
