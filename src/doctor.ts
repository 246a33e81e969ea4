import nodemailer from 'nodemailer';
import {
  type Config,
  DEV_PHONE_ENCRYPTION_KEY,
  DEV_PHONE_INDEX_KEY,
  DEV_SESSION_SECRET,
  DEV_TWILIO_ACCOUNT_SID,
  environment,
  loadDotEnv,
  readConfig,
  readDotEnv,
} from './config.js';
import { CONFIG_VARIABLES, type ConfigVariable, variablesOf } from './config-variables.js';
import { letterheadWarning } from './fax/letterhead.js';
import { reason, safeUrl } from './ops/addresses.js';
import { checkPostgres, checkRedis } from './ops/connections.js';
import { createRedis, describeRedis } from './queue/connection.js';

/**
 * `npm run doctor`: checks a configuration without starting anything — the settings themselves, both
 * databases, the keys, the providers' credentials (one cheap, read-only call each), and the public URL
 * seen from this machine — and says what to fix. Exit code 1 when anything is wrong.
 */

export type Verdict = 'ok' | 'warn' | 'fail';

export interface Finding {
  verdict: Verdict;
  /** What was checked, e.g. "Postgres". */
  subject: string;
  /** What was found; with `fail` or `warn`, what to do about it. */
  detail: string;
}

const TWILIO_API = 'https://api.twilio.com';

type Env = Record<string, string | undefined>;

async function attempt(subject: string, check: () => Promise<Finding>): Promise<Finding> {
  try {
    return await check();
  } catch (error) {
    return { verdict: 'fail', subject, detail: reason((error as Error).cause ?? error) };
  }
}

function keys(config: Config, env: Env): Finding[] {
  const findings: Finding[] = [];
  const examples: Array<[string, string]> = [
    ['PHONE_ENCRYPTION_KEY', DEV_PHONE_ENCRYPTION_KEY],
    ['PHONE_INDEX_KEY', DEV_PHONE_INDEX_KEY],
    ['SESSION_SECRET', DEV_SESSION_SECRET],
  ];
  const examplesInUse = examples
    .filter(([key, example]) => (env[key]?.trim() || example) === example)
    .map(([key]) => key);
  if (examplesInUse.length > 0) {
    findings.push({
      verdict: 'warn',
      subject: 'keys',
      detail:
        `${examplesInUse.join(', ')} ${examplesInUse.length === 1 ? 'is' : 'are'} the example from ` +
        '.env.example: fine on a laptop, refused in production (make each with: openssl rand -base64 32)',
    });
  }
  const named: Array<[string, Buffer]> = [
    ['PHONE_ENCRYPTION_KEY', config.phone.encryptionKey],
    ['PHONE_INDEX_KEY', config.phone.indexKey],
    ['SESSION_SECRET', config.sessionSecret],
    ...config.phone.oldEncryptionKeys.map((key, i): [string, Buffer] => [
      `PHONE_ENCRYPTION_OLD_KEYS #${i + 1}`,
      key,
    ]),
  ];
  const clashes: string[] = [];
  for (const [i, [key, value]] of named.entries()) {
    for (const [other, earlier] of named.slice(0, i)) {
      if (earlier.equals(value)) clashes.push(`${key} is the same key as ${other}`);
    }
  }
  if (clashes.length > 0) {
    findings.push({
      verdict: 'fail',
      subject: 'keys',
      detail:
        `${clashes.join('; ')}: give each its own (openssl rand -base64 32); ` +
        'an old key stays only in PHONE_ENCRYPTION_OLD_KEYS',
    });
  } else {
    findings.push({
      verdict: 'ok',
      subject: 'keys',
      detail:
        'PHONE_ENCRYPTION_KEY, PHONE_INDEX_KEY and SESSION_SECRET present and distinct' +
        (config.phone.oldEncryptionKeys.length > 0
          ? `, ${config.phone.oldEncryptionKeys.length} old encryption key(s) still readable`
          : ''),
    });
  }
  return findings;
}

const megabytes = (bytes: number) =>
  bytes < 1024 * 1024 ? 'under 1 MB' : `${Math.round(bytes / 1024 / 1024)} MB`;

/**
 * Whether Postgres's buffer cache holds the network's table and indexes: a text from a member reads
 * and updates their row, and with a network larger than the cache each such text reads and writes a
 * page outside it (at a million members, the scale benchmark's flood of known members fell to
 * 0.28-0.31 of a bare route with the 128 MB default, against 0.33 at 60,000).
 */
export function cacheFinding(cache: { sharedBuffers: number; network: number }): Finding {
  const sizes = `shared_buffers ${megabytes(cache.sharedBuffers)}, members' table and indexes ${megabytes(cache.network)}`;
  return cache.network > cache.sharedBuffers
    ? {
        verdict: 'warn',
        subject: 'Postgres cache',
        detail:
          `${sizes}: texts from members read and write outside the cache, slower in a flood; ` +
          'raise shared_buffers above the network (about 430 MB for a million members)',
      }
    : { verdict: 'ok', subject: 'Postgres cache', detail: `${sizes}: the network fits` };
}

async function postgres(config: Config, timeoutMs: number): Promise<Finding[]> {
  const where = `${safeUrl(config.databaseUrl)} (DATABASE_URL)`;
  try {
    const { databaseExists, cache } = await checkPostgres(config.databaseUrl, timeoutMs);
    return [
      {
        verdict: 'ok',
        subject: 'Postgres',
        detail: databaseExists
          ? where
          : `${where}: the server answers; the database is created at the first start`,
      },
      ...(cache ? [cacheFinding(cache)] : []),
    ];
  } catch (error) {
    return [
      {
        verdict: 'fail',
        subject: 'Postgres',
        detail: `cannot reach ${where}: ${reason(error)}. Start Postgres or fix DATABASE_URL`,
      },
    ];
  }
}

async function redis(config: Config, timeoutMs: number): Promise<Finding> {
  const where = describeRedis(config.redis);
  try {
    const { maxmemoryPolicy } = await checkRedis(
      createRedis(config.redis, { lazy: true, failFast: true, connectTimeoutMs: timeoutMs }),
      timeoutMs,
    );
    if (maxmemoryPolicy !== null && maxmemoryPolicy !== 'noeviction') {
      return {
        verdict: 'fail',
        subject: 'Redis',
        detail:
          `${where} evicts keys (maxmemory-policy ${maxmemoryPolicy}), which loses queued work: ` +
          'set maxmemory-policy noeviction',
      };
    }
    return { verdict: 'ok', subject: 'Redis', detail: where };
  } catch (error) {
    return {
      verdict: 'fail',
      subject: 'Redis',
      detail:
        `cannot reach ${where}: ${reason(error)}. ` +
        `Start Redis or fix ${where.slice(where.lastIndexOf('(') + 1, -1)}`,
    };
  }
}

/** Lists one message: the cheapest read that Twilio answers only for a right account SID and token. */
async function twilioCredentials(config: Config, timeoutMs: number): Promise<Finding> {
  const { accountSid, authToken, apiBaseUrl } = config.twilio;
  const base = apiBaseUrl ?? TWILIO_API;
  const response = await fetch(
    `${base}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json?PageSize=1`,
    {
      headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` },
      signal: AbortSignal.timeout(timeoutMs),
    },
  );
  await response.body?.cancel();
  if (response.ok)
    return {
      verdict: 'ok',
      subject: 'Twilio',
      detail: `${base} accepts TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN`,
    };
  if (response.status === 401 || response.status === 403 || response.status === 404) {
    return {
      verdict: 'fail',
      subject: 'Twilio',
      detail:
        `${base} refused TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (${response.status}): ` +
        'copy both from the Twilio console (Account info)',
    };
  }
  return {
    verdict: 'fail',
    subject: 'Twilio',
    detail: `${base} answered ${response.status}; try again later`,
  };
}

/** A token for the key, then one page of the project's faxes: both the key and the project are right. */
async function sinchCredentials(config: Config, timeoutMs: number): Promise<Finding> {
  const { projectId, keyId, keySecret, authBaseUrl, faxBaseUrl } = config.sinch;
  const tokenResponse = await fetch(`${authBaseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!tokenResponse.ok) {
    await tokenResponse.body?.cancel();
    return {
      verdict: 'fail',
      subject: 'Sinch',
      detail:
        `${authBaseUrl} refused SINCH_KEY_ID and SINCH_KEY_SECRET (${tokenResponse.status}): ` +
        'make an access key in the Sinch dashboard (Settings, Access keys)',
    };
  }
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const list = await fetch(
    `${faxBaseUrl}/v3/projects/${encodeURIComponent(projectId ?? '')}/faxes?pageSize=1`,
    { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) },
  );
  await list.body?.cancel();
  if (!list.ok) {
    return {
      verdict: 'fail',
      subject: 'Sinch',
      detail:
        `${faxBaseUrl} does not know SINCH_PROJECT_ID "${projectId}" for this key (${list.status}): ` +
        'copy the project id from the dashboard',
    };
  }
  return { verdict: 'ok', subject: 'Sinch', detail: `the key and project ${projectId} are accepted` };
}

async function smtp(config: Config, timeoutMs: number): Promise<Finding> {
  const transport = nodemailer.createTransport(config.mail.smtpUrl ?? '', {
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.verify();
    return {
      verdict: 'ok',
      subject: 'SMTP',
      detail: `${safeUrl(config.mail.smtpUrl ?? '')} accepts us; mail from ${config.mail.from}`,
    };
  } catch (error) {
    return {
      verdict: 'fail',
      subject: 'SMTP',
      detail:
        `${safeUrl(config.mail.smtpUrl ?? '')} (SMTP_URL): ${reason(error)}. ` +
        'Fix the host, port or credentials',
    };
  } finally {
    transport.close();
  }
}

/** The address Twilio calls, asked from here: it must reach a running Pocket Protest. */
async function publicUrl(config: Config, timeoutMs: number): Promise<Finding> {
  const url = `${config.publicBaseUrl}/healthz`;
  const where = `${config.publicBaseUrl} (PUBLIC_BASE_URL)`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const body = (await response.json().catch(() => null)) as { status?: string } | null;
    if (response.ok && body?.status === 'ok')
      return { verdict: 'ok', subject: 'public URL', detail: `${where} answers /healthz` };
    return {
      verdict: 'fail',
      subject: 'public URL',
      detail:
        `${url} answered ${response.status}, not Pocket Protest's health check: ` +
        'point PUBLIC_BASE_URL (and your proxy) at this server',
    };
  } catch (error) {
    return {
      verdict: 'fail',
      subject: 'public URL',
      detail:
        `cannot reach ${where} from this machine: ${reason((error as Error).cause ?? error)}. ` +
        'Start the server (npm start), or fix PUBLIC_BASE_URL: Twilio and Sinch call it',
    };
  }
}

interface Context {
  config: Config;
  env: Env;
  /** The variables .env sets (none when there is no .env). */
  dotEnv: Record<string, string>;
  timeoutMs: number;
}

/**
 * One check of the doctor: the variables it reads (skipped when one of them did not read: it would
 * check a default, not what was set), when it applies, and what it finds.
 */
interface DoctorCheck {
  needs: readonly ConfigVariable[];
  applies?: (config: Config) => boolean;
  run: (context: Context) => Promise<Finding | Finding[]> | Finding | Finding[];
}

/** The setting `name` was probably meant to be: the closest by letters changed, when close enough. */
function closestVariable(name: string): string | null {
  const distance = (a: string, b: string): number => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) {
        next[j] = Math.min(
          (row[j] ?? 0) + 1,
          (next[j - 1] ?? 0) + 1,
          (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
      }
      row = next;
    }
    return row[b.length] ?? Number.POSITIVE_INFINITY;
  };
  const [best] = CONFIG_VARIABLES.map((known) => ({ known, d: distance(name, known) })).sort(
    (x, y) => x.d - y.d,
  );
  return best && best.d <= 3 ? best.known : null;
}

/** A line of .env naming no setting is a typo whose setting silently keeps its default. */
function unknownVariables(dotEnv: Record<string, string>): Finding[] {
  const known = new Set<string>(CONFIG_VARIABLES);
  return Object.keys(dotEnv)
    .filter((name) => !known.has(name))
    .map((name) => {
      const meant = closestVariable(name);
      return {
        verdict: 'warn',
        subject: '.env',
        detail:
          `${name} is not a setting, so it does nothing${meant ? ` (did you mean ${meant}?)` : ''}; ` +
          'every setting: npm run -s cli -- config example',
      };
    });
}

/** Every check after the variables themselves, in the order a person fixes things: add one a line. */
const CHECKS: readonly DoctorCheck[] = [
  {
    // In production without ALLOW_DRY_RUN these are failures of their variables already.
    needs: ['SMS_PROVIDER', 'FAX_PROVIDER', 'MAIL_TRANSPORT', 'PUBLIC_BASE_URL'],
    run: ({ config }) =>
      config.dryRun.map((item): Finding => ({ verdict: 'warn', subject: 'dry run', detail: item })),
  },
  {
    needs: [],
    run: ({ dotEnv }) => unknownVariables(dotEnv),
  },
  {
    needs: variablesOf('keys'),
    run: ({ config, env }) => keys(config, env),
  },
  { needs: variablesOf('postgres'), run: ({ config, timeoutMs }) => postgres(config, timeoutMs) },
  {
    needs: variablesOf('redis'),
    run: ({ config, timeoutMs }) => redis(config, timeoutMs),
  },
  {
    needs: variablesOf('twilio'),
    applies: (config) =>
      config.sms.provider === 'twilio' || config.twilio.accountSid !== DEV_TWILIO_ACCOUNT_SID,
    run: ({ config, timeoutMs }) => attempt('Twilio', () => twilioCredentials(config, timeoutMs)),
  },
  {
    needs: variablesOf('sinch'),
    applies: (config) =>
      config.fax.provider === 'sinch' ||
      Boolean(config.sinch.projectId && config.sinch.keyId && config.sinch.keySecret),
    run: ({ config, timeoutMs }) => attempt('Sinch', () => sinchCredentials(config, timeoutMs)),
  },
  {
    needs: variablesOf('mail'),
    applies: (config) => config.mail.transport === 'smtp',
    run: ({ config, timeoutMs }) => smtp(config, timeoutMs),
  },
  {
    needs: ['ORG_NAME', ...variablesOf('letterhead')],
    run: ({ config }) => {
      const warning = letterheadWarning(config.letterhead, config.orgName);
      return warning ? { verdict: 'warn', subject: 'letterhead', detail: warning } : [];
    },
  },
  { needs: ['PUBLIC_BASE_URL'], run: ({ config, timeoutMs }) => publicUrl(config, timeoutMs) },
];

/**
 * Every problem in one run: each variable that does not read, with what to set, then every check
 * whose variables read. Nothing is started and nothing is written.
 */
export async function runDoctor(
  env: Env,
  { timeoutMs = 5_000, dotEnv = {} }: { timeoutMs?: number; dotEnv?: Record<string, string> } = {},
): Promise<Finding[]> {
  const { config, problems } = readConfig(env);
  const unreadable = new Set(problems.map((problem) => problem.key));
  const findings: Finding[] =
    problems.length === 0
      ? [
          {
            verdict: 'ok',
            subject: 'configuration',
            detail: `every variable reads well (NODE_ENV=${config.nodeEnv})`,
          },
        ]
      : problems.map((problem) => ({
          verdict: 'fail',
          subject: problem.key,
          detail: problem.message.replace(/^Invalid configuration: \S+ /, ''),
        }));
  const context: Context = { config, env, dotEnv, timeoutMs };
  const runs = CHECKS.filter(
    (check) => (check.applies?.(config) ?? true) && !check.needs.some((name) => unreadable.has(name)),
  ).map((check) => check.run(context));
  for (const found of await Promise.all(runs)) findings.push(...(Array.isArray(found) ? found : [found]));
  return findings;
}

export function report(findings: Finding[]): string {
  const width = Math.max(...findings.map((f) => f.subject.length));
  const lines = findings.map(
    (f) => `  ${f.verdict.toUpperCase().padEnd(4)}  ${f.subject.padEnd(width)}  ${f.detail}`,
  );
  const problems = findings.filter((f) => f.verdict === 'fail').length;
  lines.push(
    '',
    problems === 0
      ? '  No problems found.'
      : `  ${problems} problem${problems === 1 ? '' : 's'} (FAIL above): ` +
          `fix ${problems === 1 ? 'it' : 'them'} in .env or the environment, then run npm run doctor again.`,
  );
  return `Pocket Protest doctor\n\n${lines.join('\n')}\n`;
}

const entry = process.argv[1] ?? '';
if (/doctor\.(ts|js)$/.test(entry)) {
  loadDotEnv();
  runDoctor(environment(), { dotEnv: readDotEnv() }).then(
    (findings) => {
      process.stdout.write(report(findings));
      process.exitCode = findings.some((f) => f.verdict === 'fail') ? 1 : 0;
    },
    (error: unknown) => {
      console.error(`doctor: ${reason(error)}`);
      process.exitCode = 1;
    },
  );
}
