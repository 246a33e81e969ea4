/**
 * `npm run bench -- scale`: the product with a network of 60,000 and of 1,000,000 members (built through
 * the import job, web and worker each a process of its own) and a campaign signed by all of them
 * (seeded with SQL), each figure printed at both sizes side by side. BENCH_SCALE_SIZES=60000,300000
 * measures other sizes; BENCH_SCALE_IMPORT_ONLY=1 measures the import alone.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createBroadcastsService } from '../src/broadcasts/service.js';
import { createCampaignsService } from '../src/campaigns/service.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/client.js';
import { faxBatchesOfCampaigns } from '../src/fax/batches.js';
import { createReceiptsService } from '../src/fax/receipts.js';
import { safeUrl } from '../src/ops/addresses.js';
import { newMessageSid, signedSmsRequest } from '../src/sms/simulator.js';
import { setStaffPassword } from '../src/staff/passwords.js';
import { createStaffService } from '../src/staff/service.js';
import { realisticNames } from '../test/fax/realistic-names.js';
import { freePort } from '../test/helpers/free-port.js';
import { type OwnPostgres, startOwnPostgres } from '../test/helpers/postgres-server.js';
import { memoryOf } from './import.js';
import { freshBenchDatabase, openBenchCampaign } from './setup.js';

/** BENCH_SCALE_DATABASE lets two runs (two branches) measure side by side. */
const DATABASE_NAME = process.env.BENCH_SCALE_DATABASE ?? 'pp_bench_scale';
/**
 * Where it measures. By default on a PostgreSQL server of the bench's own: the installed server,
 * `initdb` in a temporary directory, removed after the run. It is durable like the machine's (fsync,
 * full-page writes, synchronous commit) and keeps PostgreSQL's defaults but one: 1 GB of shared_buffers,
 * so that a million members (about 430 MB of table and indexes) stay in its cache, as on a server sized
 * for such a network. With the 128 MB of an installed server's default, each known member's text reads
 * and writes a page of the network outside the cache: the flood's ratio at a million fell to 0.28-0.31
 * against 0.33 at 60,000, and with 512 MB, which holds the network but not the rest, to 0.26 against 0.38
 * (README). BENCH_SCALE_SERVER=machine measures on the machine's server (127.0.0.1:5432) as it is
 * set, BENCH_SCALE_SERVER=postgres://… on another.
 */
const GIVEN_SERVER =
  process.env.BENCH_SCALE_SERVER === 'machine'
    ? 'postgres://postgres@127.0.0.1:5432'
    : process.env.BENCH_SCALE_SERVER;
const OWN_SERVER_SETTINGS = [
  'shared_buffers=1GB',
  'fsync=on',
  'full_page_writes=on',
  'synchronous_commit=on',
];
/** The server's URL, without a database: the machine's, or the bench's own once started. */
let serverUrl = GIVEN_SERVER ?? '';
const databaseUrl = () => `${serverUrl}/${DATABASE_NAME}`;
const SIZES = (process.env.BENCH_SCALE_SIZES ?? '60000,1000000').split(',').map(Number);
const PASSWORD = 'correct horse battery staple';
/** Requests timed per page for its p95, after a few to warm up. */
const PAGE_REQUESTS = 40;
/**
 * Seconds of the known members' flood, in four rounds: rounds of 1.5 s (6 s in all) left the ratio
 * at 60,000 anywhere from 0.35 to 0.39 between runs, too loose to compare two sizes within 15%.
 */
const FLOOD_SECONDS = Number(process.env.BENCH_SECONDS ?? 16);
/** Seconds each flood is warmed up for (JIT, pools, prepared statements). */
const WARM_UP_SECONDS = 2;
const FLOOD_TEXTS = 60_000;
/**
 * BENCH_SCALE_REUSE=1 measures the rest on the database a previous run left at that size (one size
 * only), without importing again; its flood texts from other members than a first run's.
 */
const REUSE = process.env.BENCH_SCALE_REUSE === '1';
if (REUSE && !GIVEN_SERVER)
  throw new Error(
    'BENCH_SCALE_REUSE=1 needs BENCH_SCALE_SERVER (machine, or a URL): the own server goes with its run',
  );
/** BENCH_SCALE_IMPORT_ONLY=1 stops after the import's figures: a quick measure of the import job alone. */
const IMPORT_ONLY = process.env.BENCH_SCALE_IMPORT_ONLY === '1';
/** BENCH_SCALE_FLOOD_ONLY=1 stops after the known members' flood (with BENCH_SCALE_REUSE: the flood alone). */
const FLOOD_ONLY = process.env.BENCH_SCALE_FLOOD_ONLY === '1';

const settings = {
  NODE_ENV: 'production',
  PHONE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  PHONE_INDEX_KEY: Buffer.alloc(32, 2).toString('base64'),
  SESSION_SECRET: Buffer.alloc(32, 3).toString('base64'),
  TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
  PUBLIC_BASE_URL: 'http://127.0.0.1',
  ALLOW_DRY_RUN: 'true',
  SMS_QUIET_HOURS: 'off',
  QUEUE_PREFIX: `{${DATABASE_NAME}}`,
  BROADCAST_CONFIRM_ABOVE: '10000000',
};
const config = loadConfig(settings);

/** The servers and steps run with the production image's NODE_OPTIONS (its heap caps), read from the Dockerfile. */
const PRODUCTION_NODE_OPTIONS = /NODE_OPTIONS="([^"]*)"/u.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
if (!PRODUCTION_NODE_OPTIONS)
  throw new Error('the Dockerfile sets no NODE_OPTIONS="…" for the bench to run with');

/**
 * The flood's `n`th member: spread over the whole network, as the members who answer a campaign are
 * (a block of the file's last rows would sit together on disk, in cache). A second run on the same
 * database (BENCH_SCALE_REUSE) takes the members beside the first run's.
 */
const floodMember = (n: number, size: number) =>
  (Math.floor((n * size) / Math.min(FLOOD_TEXTS, size)) + (REUSE ? 1 : 0)) % size;

const memberPhone = (n: number) => `+4478${String(10_000_000 + n).padStart(8, '0')}`;

function membersFile(rows: number): string {
  const names = realisticNames(rows);
  const lines = ['number,name,consent_date,consent_source'];
  for (let i = 0; i < rows; i++) {
    lines.push(`${memberPhone(i)},"${names[i]?.replaceAll('"', '""')}",2024-03-01,paper form`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The servers and steps run compiled, as in production (Dockerfile: `node dist/src/server.js`): under tsx
 * a process holds about 200 MB more, which would hide what the product itself takes. The build is
 * `npm run build`'s plus the bench's own two entry points (tsconfig.bench.json), into dist/.
 */
function build(): void {
  const run = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  const bench = spawnSync('node_modules/.bin/tsc', ['-p', 'tsconfig.bench.json'], { stdio: 'inherit' });
  if (run.status !== 0 || bench.status !== 0) throw new Error('the build for the bench failed');
}

/** A bench entry point (bench/servers.ts) as its compiled file. */
const compiled = (file: string) => join('dist', file.replace(/\.ts$/u, '.js'));

function start([file, ...args]: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [compiled(file as string), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...settings, NODE_OPTIONS: PRODUCTION_NODE_OPTIONS, ...env },
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve(child));
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

/** Peak RSS of each process while `work` runs, sampled every 100 ms (VmHWM cannot be reset). */
async function peakWhile<T>(pids: number[], work: () => Promise<T>): Promise<{ result: T; peaks: number[] }> {
  const peaks = pids.map((pid) => memoryOf(pid).rss);
  const timer = setInterval(() => {
    pids.forEach((pid, i) => {
      peaks[i] = Math.max(peaks[i] ?? 0, memoryOf(pid).rss);
    });
  }, 100);
  try {
    const result = await work();
    return { result, peaks };
  } finally {
    clearInterval(timer);
  }
}

/** A child step (scale-child.ts) run to its end: its seconds and peak RSS. */
function step(
  kind: string,
  id: number,
  env: Record<string, string> = {},
): { seconds: number; peakMb: number } {
  const run = spawnSync(
    process.execPath,
    [compiled('bench/scale-child.ts'), kind, databaseUrl(), String(id)],
    {
      env: { ...process.env, ...settings, NODE_OPTIONS: PRODUCTION_NODE_OPTIONS, ...env },
      encoding: 'utf8',
      maxBuffer: 1024 * 1024,
    },
  );
  if (run.status !== 0) throw new Error(`${kind} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
}

const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1] ?? 0;

async function timedGets(url: string, headers: Record<string, string>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < PAGE_REQUESTS + 5; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    if (i >= 5) times.push(performance.now() - started);
  }
  return Math.round(p95(times));
}

/** A console session: the sign-in form posted with its CSRF token; the cookie it sets. */
async function consoleCookie(base: string, email: string): Promise<string> {
  const login = await fetch(`${base}/console/login`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1] ?? '';
  const signedIn = await fetch(`${base}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password: PASSWORD, _csrf: csrf }).toString(),
  });
  const session = signedIn.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  if (!session) throw new Error(`sign-in failed: ${signedIn.status}`);
  return session;
}

async function flood(
  url: string,
  requests: Array<{ headers: Record<string, string>; body: string }>,
  unique = true,
  seconds = FLOOD_SECONDS,
): Promise<{ requests: number; seconds: number }> {
  let taken = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections: 16,
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, ...requests[taken++ % requests.length] }) }],
  });
  if (result.non2xx + result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx + result.errors} requests failed`);
  }
  if (unique && taken > requests.length)
    throw new Error(`flood sent ${taken} of ${requests.length} texts: repeats`);
  return { requests: result.requests.total, seconds: result.duration };
}

/** Rounds of each flood, taken in turn, so that the machine's other work weighs on both alike. */
const FLOOD_ROUNDS = 4;

type Figures = Record<string, number>;

async function measure(size: number): Promise<Figures> {
  if (!REUSE) await freshBenchDatabase(DATABASE_NAME, serverUrl);
  const database = createDatabase(databaseUrl(), { max: 4 });
  const clock = () => new Date();
  const email = 'scale@example.org';
  const staffService = createStaffService({ db: database.db, clock });
  const { staff, token } = REUSE
    ? await staffService.create({ email: `scale-${Date.now()}@example.org`, role: 'admin' })
    : await staffService.create({ email, role: 'admin' });
  if (!REUSE) {
    await setStaffPassword(database.db, { email, password: PASSWORD }, null);
    await openBenchCampaign(database.db);
  }
  const campaigns = createCampaignsService({ db: database.db, clock, faxBatches: faxBatchesOfCampaigns });
  const big = REUSE
    ? {
        id: Number(
          (await database.pool.query("SELECT id FROM campaigns WHERE keyword = 'MILLION'")).rows[0].id,
        ),
      }
    : await campaigns.create({
        keyword: 'MILLION',
        title: 'A campaign everyone signed',
        letter: { body: 'Release them.' },
        public: true,
        targets: [{ name: 'Minister', salutation: 'Dear Minister', faxNumbers: ['+442079460112'] }],
      });
  if (!REUSE) await campaigns.setStatus(big.id, 'open');
  const figures: Figures = {};
  const webPort = await freePort();
  const base = `http://127.0.0.1:${webPort}`;
  const outboxDir = mkdtempSync(join(tmpdir(), 'pp-bench-scale-'));
  const env = { FAX_OUTBOX_DIR: outboxDir };
  let web = await start(['bench/servers.ts', 'app', databaseUrl(), String(webPort)], env);
  let worker: ChildProcess | null = await start(['bench/servers.ts', 'worker', databaseUrl(), '0'], env);
  const api = { authorization: `Bearer ${token}` };
  try {
    // The import, through the API and the worker alone.
    const file = REUSE ? '' : membersFile(size);
    // When the file had come (the 202) and when every row was checked (polled), from the POST.
    const phases = { uploaded: 0, checked: 0 };
    const { result: seconds, peaks } = await peakWhile(
      [web.pid as number, worker.pid as number],
      async () => {
        if (REUSE) return Number.NaN;
        const started = performance.now();
        const response = await fetch(`${base}/api/v1/members/imports`, {
          method: 'POST',
          headers: { ...api, 'content-type': 'text/csv' },
          body: file,
        });
        if (response.status !== 202) throw new Error(`import: ${response.status} ${await response.text()}`);
        const { id } = (await response.json()) as { id: string };
        phases.uploaded = (performance.now() - started) / 1_000;
        for (;;) {
          const job = (await (
            await fetch(`${base}/api/v1/members/imports/${id}`, { headers: api })
          ).json()) as {
            status: string;
            imported: number;
            processed: number;
            error?: string;
          };
          if (job.status === 'failed') throw new Error(`import failed: ${job.error}`);
          if (job.processed === size && phases.checked === 0) {
            phases.checked = (performance.now() - started) / 1_000;
          }
          if (job.status === 'done') {
            if (job.imported !== size) throw new Error(`imported ${job.imported} of ${size}`);
            return (performance.now() - started) / 1_000;
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      },
    );
    figures['import rows/s'] = Math.round(size / seconds);
    figures['import s'] = Number(seconds.toFixed(1));
    figures['import: file received at s'] = Number(phases.uploaded.toFixed(1));
    figures['import: rows checked at s'] = Number(phases.checked.toFixed(1));
    figures['import web peak RSS MB'] = peaks[0] ?? 0;
    figures['import worker peak RSS MB'] = peaks[1] ?? 0;
    console.log(figures);
    if (IMPORT_ONLY) return figures;
    // After an import the worker vacuums the network (its job is done by then): the texts come after.
    // It starts a moment after the job is done: seen within 5 s, then waited for.
    let seen = false;
    for (let started = Date.now(); Date.now() - started < (seen ? 120_000 : 5_000); ) {
      const { rows } = await database.pool.query(
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'VACUUM%' AND state = 'active'",
      );
      if (seen && rows.length === 0) break;
      seen ||= rows.length > 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    worker.kill('SIGTERM');
    worker = null;

    // Known members text an open action: the flood's rate against a bare route's.
    const texts = Array.from(
      { length: Math.min(FLOOD_TEXTS, REUSE ? Math.floor(size / 2) : size) },
      (_, n) => {
        const request = signedSmsRequest({
          serverUrl: '',
          publicBaseUrl: config.publicBaseUrl,
          authToken: config.twilio.authToken,
          accountSid: config.twilio.accountSid,
          from: memberPhone(floodMember(n, size)),
          body: 'MAGAMED',
          messageSid: newMessageSid(),
        });
        return { headers: request.headers, body: request.body };
      },
    );
    const barePort = await freePort();
    const bare = await start(['bench/servers.ts', 'bare', databaseUrl(), String(barePort)]);
    try {
      // Each warmed up first (JIT, pools, prepared statements), the app with texts of its own; then
      // alternating rounds, as `bench -- webhook` does, each member texting once.
      const warmUp = Math.floor(texts.length / 4);
      await flood(`http://127.0.0.1:${barePort}/bare`, texts, false, WARM_UP_SECONDS);
      await flood(`${base}/webhooks/twilio/sms`, texts.slice(0, warmUp), true, WARM_UP_SECONDS);
      const perRound = Math.floor((texts.length - warmUp) / FLOOD_ROUNDS);
      const roundSeconds = FLOOD_SECONDS / FLOOD_ROUNDS;
      const totals = { bare: { requests: 0, seconds: 0 }, known: { requests: 0, seconds: 0 } };
      for (let round = 0; round < FLOOD_ROUNDS; round++) {
        const own = texts.slice(warmUp + round * perRound, warmUp + (round + 1) * perRound);
        for (const [total, result] of [
          [totals.bare, await flood(`http://127.0.0.1:${barePort}/bare`, texts, false, roundSeconds)],
          [totals.known, await flood(`${base}/webhooks/twilio/sms`, own, true, roundSeconds)],
        ] as const) {
          total.requests += result.requests;
          total.seconds += result.seconds;
        }
      }
      const rate = ({ requests, seconds }: { requests: number; seconds: number }) => requests / seconds;
      figures['known members flood / bare'] = Number((rate(totals.known) / rate(totals.bare)).toFixed(2));
    } finally {
      bare.kill('SIGTERM');
    }
    if (FLOOD_ONLY) return figures;

    // Every member signs the big campaign (SQL, as the bench may), spread over three days.
    if (!REUSE)
      await database.pool.query(
        `INSERT INTO signatures (campaign_id, supporter_id, name, status, signed_at)
       SELECT $1, id, name, 'valid', now() - (id % 259200) * interval '1 second'
         FROM supporters WHERE name IS NOT NULL`,
        [big.id],
      );
    if (!REUSE) await database.pool.query('ANALYZE');

    // The pages and the export in a fresh web process: RSS never shrinks after the import's peak.
    web.kill('SIGTERM');
    await new Promise((resolve) => web.once('exit', resolve));
    web = await start(['bench/servers.ts', 'app', databaseUrl(), String(webPort)], env);
    figures['web idle RSS MB'] = memoryOf(web.pid as number).rss;
    const cookie = await consoleCookie(base, email);
    const { peaks: exportPeaks, result: exported } = await peakWhile([web.pid as number], async () => {
      const response = await fetch(`${base}/api/v1/campaigns/${big.id}/signatures.csv`, { headers: api });
      let bytes = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
      return bytes;
    });
    if (exported < size * 10) throw new Error(`the export is ${exported} bytes`);
    figures['signatures CSV: web peak RSS MB'] = exportPeaks[0] ?? 0;

    figures['dashboard p95 ms'] = await timedGets(`${base}/console`, { cookie });
    figures['campaign page p95 ms'] = await timedGets(`${base}/console/campaigns/${big.id}`, { cookie });
    figures['/act/:keyword JSON p95 ms'] = await timedGets(`${base}/act/MILLION`, {
      accept: 'application/json',
    });
    figures['campaign API p95 ms'] = await timedGets(`${base}/api/v1/campaigns/${big.id}`, api);
    console.log(figures);

    // A broadcast to the whole network: its fan-out in a process of its own; nothing is sent (no
    // worker runs, and its queued texts are dropped after).
    const broadcasts = createBroadcastsService({
      db: database.db,
      clock,
      config,
      receipts: createReceiptsService({ db: database.db, config }),
    });
    const broadcast = await broadcasts.create(
      big.id,
      { body: 'Thank you all.', audience: 'network', confirmRepeat: true },
      staff.id,
    );
    const fanOut = step('fanout', broadcast.id);
    const { rows } = await database.pool.query(
      'SELECT count(*)::int AS n FROM outbound_messages WHERE broadcast_id = $1',
      [broadcast.id],
    );
    if (rows[0].n < size) throw new Error(`fan-out wrote ${rows[0].n} of ${size} messages`);
    figures['broadcast fan-out s'] = Number(fanOut.seconds.toFixed(1));
    figures['broadcast fan-out peak RSS MB'] = fanOut.peakMb;
    await broadcasts.cancel(broadcast.id, staff.id);
    await database.pool.query('DELETE FROM outbox');

    // A reused database's names are all in the batch its first run made.
    if (!REUSE) {
      const fax = step('fax', big.id, env);
      figures['fax batch: every part rendered s'] = Number(fax.seconds.toFixed(1));
      figures['fax batch: µs per name'] = Math.round((fax.seconds * 1e6) / size);
      figures['fax batch peak RSS MB'] = fax.peakMb;
    }
  } finally {
    web.kill('SIGTERM');
    worker?.kill('SIGTERM');
    await database.close();
    rmSync(outboxDir, { recursive: true, force: true });
  }
  return figures;
}

const TARGETS: Record<string, string> = {
  'import rows/s': '≥ 30,000',
  'import web peak RSS MB': '< 300',
  'import worker peak RSS MB': '< 300',
  'known members flood / bare': 'within 15% of the first size',
  'broadcast fan-out s': '< 60',
  'broadcast fan-out peak RSS MB': '< 300',
  'dashboard p95 ms': '< 100',
  'campaign page p95 ms': '< 100',
  '/act/:keyword JSON p95 ms': '< 100',
  'campaign API p95 ms': '< 100',
  'fax batch: µs per name': 'linear: about equal',
  'fax batch peak RSS MB': '< 300',
  'signatures CSV: web peak RSS MB': '< 200',
};

export async function benchScale(): Promise<Array<Record<string, string | number>>> {
  build();
  const results: Figures[] = [];
  let own: OwnPostgres | null = null;
  try {
    if (!GIVEN_SERVER) {
      own = await startOwnPostgres(OWN_SERVER_SETTINGS);
      serverUrl = own.url;
    }
    console.log(
      `on ${own ? `a server of the bench's own (${OWN_SERVER_SETTINGS.join(', ')})` : safeUrl(serverUrl)}`,
    );
    for (const size of SIZES) {
      console.log(`measuring ${size.toLocaleString('en-GB')} members…`);
      results.push(await measure(size));
      console.log(results.at(-1));
    }
  } finally {
    await own?.destroy();
  }
  const names = Object.keys(results[0] ?? {});
  return names.map((figure) => {
    const row: Record<string, string | number> = { figure };
    SIZES.forEach((size, i) => {
      row[size.toLocaleString('en-GB')] = results[i]?.[figure] ?? '';
    });
    row.target = TARGETS[figure] ?? '';
    return row;
  });
}
