import { type ChildProcess, spawn } from 'node:child_process';
import autocannon from 'autocannon';
import pg from 'pg';
import { clearRepliesTo } from '../src/broadcasts/messages.repository.js';
import { clearSignatureNamesOf, hideSignaturesOf } from '../src/campaigns/signatures.repository.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/client.js';
import { createMembersService } from '../src/members/service.js';
import { clearTextsOf } from '../src/sms/messages.repository.js';
import { newMessageSid, signedSmsRequest } from '../src/sms/simulator.js';
import { createStaffService } from '../src/staff/service.js';
import { createPhoneCrypto } from '../src/supporters/phone.js';
import { freshBenchDatabase, openBenchCampaign } from './setup.js';

const DATABASE_NAME = 'pp_bench_webhook';
const DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${DATABASE_NAME}`;
/** Seconds each server is measured, per flood, in all its turns together. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 32;
/** Each server is measured in this many turns, taking turns with the others. */
const ROUNDS = 4;
const WARM_UP_SECONDS = 2;
/** Texts prepared per flood: more than the fastest server answers, so that none is sent twice. */
const TEXTS = Math.max(90_000, (SECONDS + WARM_UP_SECONDS) * 9_000);

const benchSecrets = {
  PHONE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  PHONE_INDEX_KEY: Buffer.alloc(32, 2).toString('base64'),
  SESSION_SECRET: Buffer.alloc(32, 3).toString('base64'),
  TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
  PUBLIC_BASE_URL: 'https://pocketprotest.example.org',
  // Production settings, sending nothing: SMS_PROVIDER=log and FAX_PROVIDER=file, said to be meant.
  ALLOW_DRY_RUN: 'true',
};
const config = loadConfig({ ...benchSecrets });

const letters = (n: number) =>
  String.fromCharCode(65 + (n % 26)) + String.fromCharCode(97 + (Math.floor(n / 26) % 26));
const newSupporterPhone = (n: number) => `+4479${String(10_000_000 + n).padStart(8, '0')}`;
const memberPhone = (n: number) => `+4478${String(10_000_000 + n).padStart(8, '0')}`;

/**
 * The network as staff would bring it in: members with their names on file, imported by the real
 * CSV import.
 */
async function importMembers(count: number): Promise<void> {
  const database = createDatabase(DATABASE_URL);
  const clock = () => new Date();
  const { staff } = await createStaffService({ db: database.db, clock }).create({
    email: 'bench@example.org',
    role: 'admin',
  });
  const rows = Array.from(
    { length: count },
    (_, n) => `${memberPhone(n)},Member ${letters(n)},2024-03-01,bench`,
  );
  const members = createMembersService({
    db: database.db,
    pool: database.pool,
    clock,
    phoneCrypto: createPhoneCrypto(config.phone),
    keptElsewhere: { hideSignaturesOf, clearSignatureNamesOf, clearTextsOf, clearRepliesTo },
  });
  const result = await members.importCsv(['number,name,consent_date,consent_source', ...rows].join('\n'), {
    dryRun: false,
    staffId: staff.id,
  });
  await database.close();
  if (result.imported !== count) throw new Error(`imported ${result.imported} of ${count} members`);
}

async function freshDatabase(): Promise<void> {
  await freshBenchDatabase(DATABASE_NAME);
  const database = createDatabase(DATABASE_URL);
  await openBenchCampaign(database.db);
  await database.close();
  await importMembers(TEXTS);
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

type SignedRequest = { headers: Record<string, string>; body: string };

function signedRequests(count: number, text: (n: number) => { from: string; body: string }): SignedRequest[] {
  return Array.from({ length: count }, (_, n) => {
    const request = signedSmsRequest({
      serverUrl: '',
      publicBaseUrl: config.publicBaseUrl,
      authToken: config.twilio.authToken,
      accountSid: config.twilio.accountSid,
      ...text(n),
      messageSid: newMessageSid(),
    });
    return { headers: request.headers, body: request.body };
  });
}

/** Hands out the requests in order across turns; `taken` tells whether any was sent twice. */
function cursor(requests: SignedRequest[]) {
  const state = {
    taken: 0,
    take: () => requests[state.taken++ % requests.length] ?? { headers: {}, body: '' },
  };
  return state;
}

interface Flood {
  benchmark: string;
  url: string;
  requests: ReturnType<typeof cursor>;
  /** The supporters whose texts this flood sends, by their `source`. */
  source: string;
}

function run(flood: Flood, seconds: number) {
  return autocannon({
    url: flood.url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, ...flood.requests.take() }) }],
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
  const bare = await startServer('bare', 3101);
  const app = await startServer('app', 3102);
  const webhook = 'http://127.0.0.1:3102/webhooks/twilio/sms';
  const floods: Flood[] = [
    {
      benchmark: 'bare Fastify + 1 INSERT',
      url: 'http://127.0.0.1:3101/bare',
      requests: cursor(signedRequests(1_000, (n) => ({ from: newSupporterPhone(n), body: 'MAGAMED' }))),
      source: '',
    },
    {
      benchmark: 'new supporters: MAGAMED + name',
      url: webhook,
      requests: cursor(
        signedRequests(TEXTS, (n) => ({
          from: newSupporterPhone(n),
          body: `MAGAMED Supporter ${letters(n)}`,
        })),
      ),
      source: 'sms',
    },
    {
      benchmark: 'known members (CSV): MAGAMED alone',
      url: webhook,
      requests: cursor(signedRequests(TEXTS, (n) => ({ from: memberPhone(n), body: 'MAGAMED' }))),
      source: 'import:bench',
    },
  ];
  const totals = floods.map((): Totals => ({ requests: 0, seconds: 0, p50: [], p99: [], failures: 0 }));
  try {
    // Warm all up (JIT, pools, prepared statements) before measuring.
    for (const flood of floods) await run(flood, WARM_UP_SECONDS);
    // They take turns, so that a slower spell of this shared machine weighs on all alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [n, flood] of floods.entries()) {
        const result = await run(flood, SECONDS / ROUNDS);
        const total = totals[n] as Totals;
        total.requests += result.requests.total;
        total.seconds += result.duration;
        total.p50.push(result.latency.p50);
        total.p99.push(result.latency.p99);
        total.failures += result.non2xx + result.errors;
      }
    }
    const rate = (total: Totals) => total.requests / total.seconds;
    const [bareTotals] = totals as [Totals];
    const table: Array<Record<string, string | number>> = [];
    for (const [n, flood] of floods.entries()) {
      const total = totals[n] as Totals;
      table.push({
        benchmark: flood.benchmark,
        'req/s': Math.round(rate(total)),
        'p50 ms': median(total.p50),
        'p99 ms': median(total.p99),
        requests: total.requests,
      });
      if (n === 0) continue;
      if (total.failures > 0) throw new Error(`${flood.benchmark}: ${total.failures} requests failed`);
      if (flood.requests.taken > TEXTS) {
        throw new Error(`${flood.benchmark}: ${flood.requests.taken} texts sent of ${TEXTS}; raise TEXTS`);
      }
      table.push({
        benchmark: '  ratio to bare (target >= 0.5)',
        'req/s': Number((rate(total) / rate(bareTotals)).toFixed(2)),
        'p50 ms': '',
        'p99 ms': '',
        requests: await checkSignatures(flood),
      });
    }
    return table;
  } finally {
    bare.kill('SIGTERM');
    app.kill('SIGTERM');
  }
}

/**
 * Every text of a flood signs: each stored text must be answered with a thank-you and carry one
 * signature. Read in one statement, so that a text still being written counts in all three or none.
 */
async function checkSignatures(flood: Flood): Promise<string> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  const { rows } = await client.query(
    `SELECT count(*)::int AS texts,
            count(*) FILTER (WHERE m.reply LIKE 'Thank you%' AND NOT m.reply_suppressed)::int AS thanked,
            (SELECT count(*)::int FROM signatures g JOIN supporters p ON p.id = g.supporter_id
              WHERE p.source = $1) AS signed
       FROM inbound_messages m JOIN supporters p ON p.id = m.supporter_id
      WHERE p.source = $1`,
    [flood.source],
  );
  await client.end();
  const { texts, thanked, signed } = rows[0];
  if (texts !== thanked || thanked !== signed) {
    throw new Error(`${flood.benchmark}: ${texts} texts, ${thanked} thanked, ${signed} signatures`);
  }
  return `${signed} signatures = thank-yous`;
}
