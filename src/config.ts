import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseEnv } from 'node:util';
import { CONFIG_SCHEMA, type ConfigVariable } from './config-variables.js';

export { CONFIG_VARIABLES } from './config-variables.js';

/**
 * The one place the environment is read. Every variable of the design's table is parsed here, and a
 * bad value stops start-up with a message that names the key.
 */

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${key} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** While set, problems are collected here (readConfig) rather than thrown at the first (loadConfig). */
let collecting: ConfigError[] | null = null;

/**
 * A variable that does not read: thrown by loadConfig, which stops at the first; collected by
 * readConfig, which goes on with `fallback` in its place so that one run names every problem.
 */
function invalid<T>(key: string, problem: string, fallback: T): T {
  const error = new ConfigError(key, problem);
  if (collecting === null) throw error;
  collecting.push(error);
  return fallback;
}

/** Example keys from .env.example: fine on a laptop, refused in production. */
export const DEV_PHONE_ENCRYPTION_KEY = CONFIG_SCHEMA.PHONE_ENCRYPTION_KEY.default;
export const DEV_PHONE_INDEX_KEY = CONFIG_SCHEMA.PHONE_INDEX_KEY.default;
export const DEV_TWILIO_ACCOUNT_SID = CONFIG_SCHEMA.TWILIO_ACCOUNT_SID.default;
export const DEV_TWILIO_AUTH_TOKEN = CONFIG_SCHEMA.TWILIO_AUTH_TOKEN.default;
export const DEV_SESSION_SECRET = CONFIG_SCHEMA.SESSION_SECRET.default;

export interface DailyWindow {
  /** minutes after midnight */
  start: number;
  end: number;
}

export interface BusinessHours extends DailyWindow {
  /** ISO weekdays, 1 = Monday … 7 = Sunday */
  days: number[];
}

export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  host: string;
  /** METRICS_PORT: where a worker process serves /metrics (a web process serves it on PORT). */
  metricsPort: number;
  logLevel: string;
  databaseUrl: string;
  /** How Redis is reached: one server (REDIS_URL), Sentinel, or a Cluster; exactly one of them. */
  redis: RedisTarget;
  publicBaseUrl: string;
  /** PUBLIC_BASE_URL was set, rather than following PORT (the CLI says which setting it used). */
  publicBaseUrlSet: boolean;
  /** ORG_TIMEZONE: how the console, the public page and texts show times (a deadline is entered in it). */
  orgTimezone: string;
  /** CURRENCY: the ISO 4217 code costs are shown in (default GBP). */
  currency: string;
  twilio: {
    accountSid: string;
    authToken: string;
    messagingServiceSid: string | null;
    smsFrom: string | null;
    apiBaseUrl: string | null;
    managesOptOut: boolean;
    /**
     * TWILIO_TIMEOUT_MS: how long a call to Twilio may take. A send holds its member until Twilio
     * answers (broadcasts/sending.ts), so this also bounds how long a STOP waits for a text in flight.
     */
    timeoutMs: number;
  };
  sms: {
    provider: 'twilio' | 'log';
    maxPerSecond: number;
    quietHours: DailyWindow | null;
    repliesPerHour: number;
    /** What one segment costs, in `currency`: the estimates staff see before sending. */
    pricePerSegment: number;
    /** Above this many people, staff type the audience size to confirm a broadcast. */
    confirmAbove: number;
    /** Where a web process spools inbound texts while Postgres and Redis are both unreachable. */
    spoolDir: string;
  };
  fax: {
    provider: 'sinch' | 'file';
    outboxDir: string;
    businessHours: BusinessHours | null;
    maxPages: number;
    pricePerPage: number;
    secondsPerPage: number;
    /**
     * A fax the provider still reports in progress this long after it was submitted is given up as failed.
     */
    inProgressLimitMinutes: number;
  };
  sinch: {
    projectId: string | null;
    keyId: string | null;
    keySecret: string | null;
    faxBaseUrl: string;
    authBaseUrl: string;
  };
  phone: {
    encryptionKey: Buffer;
    oldEncryptionKeys: Buffer[];
    indexKey: Buffer;
  };
  joinKeywords: string[];
  /** SUPPORTER_CALLS: the organisation phones supporters (HELP then mentions NOCALL). */
  supporterCalls: boolean;
  retentionDays: number;
  /** BullMQ's key prefix: two installs sharing one Redis each keep their own. */
  queuePrefix: string;
  /** Staff API requests per minute for one token; failed tokens from one address per 15 minutes. */
  api: { requestsPerMinute: number; failedTokensPer15Minutes: number };
  orgName: string;
  /** The number supporters text, shown on the public page (SMS_SHORTCODE). */
  smsShortcode: string;
  optOutHint: string;
  /** Seals the staff console's session cookie. */
  sessionSecret: Buffer;
  /** E-mail to targets and to staff: `file` writes .eml files under FAX_OUTBOX_DIR, `smtp` sends them. */
  mail: {
    transport: 'smtp' | 'file';
    /** smtp:// or smtps://, with credentials when the server wants them; never logged. */
    smtpUrl: string | null;
    from: string;
    /**
     * Hours before a campaign's closesAt from which a target whose fax still fails is tried by e-mail too.
     */
    fallbackHours: number;
  };
  /** The sender block of the letter page, under ORG_NAME; each line only when set. */
  letterhead: { address: string | null; email: string | null; phone: string | null };
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses and ranges. */
  trustProxy: false | number | string[];
  /**
   * What does not reach the world in this process (texts logged, faxes written, plain http), said at start.
   */
  dryRun: string[];
}

export interface HostPort {
  host: string;
  port: number;
}

/** Credentials and TLS, the same with all three ways (REDIS_PASSWORD, rediss:// or REDIS_TLS=true). */
interface RedisAuth {
  password: string | null;
  tls: boolean;
}

export type RedisTarget =
  | ({ kind: 'single'; url: string } & RedisAuth)
  | ({ kind: 'sentinel'; sentinels: HostPort[]; name: string; sentinelPassword: string | null } & RedisAuth)
  | ({ kind: 'cluster'; nodes: HostPort[] } & RedisAuth);

type Env = Record<string, string | undefined>;

/** The default of `key`, from its one definition (config-variables.ts); '' when it has none. */
function defaultOf(key: ConfigVariable): string {
  const spec: { default: string | null } = CONFIG_SCHEMA[key];
  return spec.default ?? '';
}

function read(env: Env, key: ConfigVariable, fallback = defaultOf(key)): string {
  const value = env[key];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function timezone(env: Env, key: ConfigVariable): string {
  const fallback = defaultOf(key);
  const raw = read(env, key);
  try {
    return new Intl.DateTimeFormat('en', { timeZone: raw }).resolvedOptions().timeZone;
  } catch {
    return invalid(key, `must be an IANA time zone such as Europe/London (got "${raw}")`, fallback);
  }
}

function currencyCode(env: Env, key: ConfigVariable): string {
  const fallback = defaultOf(key);
  const raw = read(env, key).toUpperCase();
  if (!/^[A-Z]{3}$/.test(raw))
    return invalid(key, `must be a three-letter code such as GBP (got "${raw}")`, fallback);
  return raw;
}

function optional(env: Env, key: ConfigVariable): string | null {
  const value = env[key]?.trim();
  return value ? value : null;
}

function integer(
  env: Env,
  key: ConfigVariable,
  min: number,
  max: number,
  fallback = Number(defaultOf(key)),
): number {
  const raw = read(env, key, String(fallback));
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    return invalid(key, `must be a whole number from ${min} to ${max} (got "${raw}")`, fallback);
  }
  return value;
}

function decimal(env: Env, key: ConfigVariable): number {
  const fallback = Number(defaultOf(key));
  const raw = read(env, key);
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value)) {
    return invalid(key, `must be a non-negative number such as 0.04 (got "${raw}")`, fallback);
  }
  return value;
}

function boolean(env: Env, key: ConfigVariable): boolean {
  const fallback = defaultOf(key) === 'true';
  const raw = read(env, key).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  return invalid(key, `must be true or false (got "${raw}")`, fallback);
}

function oneOf<T extends string>(env: Env, key: ConfigVariable, allowed: readonly T[]): T {
  const fallback = defaultOf(key) as T;
  const raw = read(env, key);
  if (!(allowed as readonly string[]).includes(raw)) {
    return invalid(key, `must be one of ${allowed.join(', ')} (got "${raw}")`, fallback);
  }
  return raw as T;
}

function url(env: Env, key: ConfigVariable, protocols: readonly string[], fallback = defaultOf(key)): string {
  const raw = read(env, key, fallback);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return invalid(key, `must be a URL (got "${raw}")`, fallback);
  }
  if (!protocols.includes(parsed.protocol)) {
    return invalid(key, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`, fallback);
  }
  return raw.replace(/\/+$/, '');
}

function optionalUrl(env: Env, key: ConfigVariable): string | null {
  return optional(env, key) === null ? null : url(env, key, ['http:', 'https:']) || null;
}

function key32(key: ConfigVariable, raw: string): Buffer {
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64') !== raw) {
    return invalid(
      key,
      'must be 32 bytes encoded in base64 (make one with: openssl rand -base64 32)',
      randomBytes(32),
    );
  }
  return bytes;
}

function clockTime(key: ConfigVariable, text: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) return invalid(key, `has a time that is not HH:MM (got "${text}")`, 0);
  return Number(match[1]) * 60 + Number(match[2]);
}

function dailyWindow(key: ConfigVariable, text: string): DailyWindow {
  const [start, end, extra] = text.split('-');
  if (start === undefined || end === undefined || extra !== undefined) {
    return invalid(key, `must look like 21:00-08:00 or be off (got "${text}")`, { start: 0, end: 0 });
  }
  return { start: clockTime(key, start.trim()), end: clockTime(key, end.trim()) };
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function weekday(key: ConfigVariable, text: string): number {
  const index = WEEKDAYS.indexOf(text.toLowerCase());
  if (index < 0) return invalid(key, `has an unknown weekday "${text}" (use Mon … Sun)`, 1);
  return index + 1;
}

function businessHours(key: ConfigVariable, text: string): BusinessHours {
  const match = /^(\w{3})(?:-(\w{3}))?\s+(\S+)$/.exec(text);
  if (!match?.[1] || !match[3]) {
    return invalid(key, `must look like "Mon-Fri 09:00-18:00" or be off (got "${text}")`, {
      days: [1, 2, 3, 4, 5],
      start: 9 * 60,
      end: 18 * 60,
    });
  }
  const first = weekday(key, match[1]);
  const last = match[2] ? weekday(key, match[2]) : first;
  if (last < first) invalid(key, 'must name its days from the earlier to the later one', null);
  const days = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  return { days, ...dailyWindow(key, match[3]) };
}

function wordList(env: Env, key: ConfigVariable): string[] {
  const fallback = defaultOf(key);
  const words = read(env, key)
    .split(',')
    .map((word) => word.trim().toUpperCase())
    .filter(Boolean);
  if (words.length === 0 || words.some((word) => !/^\p{L}+$/u.test(word))) {
    return invalid(key, 'must be a comma-separated list of words made of letters', fallback.split(','));
  }
  return words;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'test', 'production'] as const);
  const production = nodeEnv === 'production';
  const faxProvider = oneOf(env, 'FAX_PROVIDER', ['sinch', 'file'] as const);

  const encryptionKeyText = read(env, 'PHONE_ENCRYPTION_KEY');
  const indexKeyText = read(env, 'PHONE_INDEX_KEY');
  const authToken = read(env, 'TWILIO_AUTH_TOKEN');
  const sessionSecretText = read(env, 'SESSION_SECRET');
  if (production) {
    const refused: Array<[string, string, string]> = [
      ['PHONE_ENCRYPTION_KEY', encryptionKeyText, DEV_PHONE_ENCRYPTION_KEY],
      ['PHONE_INDEX_KEY', indexKeyText, DEV_PHONE_INDEX_KEY],
      ['TWILIO_AUTH_TOKEN', authToken, DEV_TWILIO_AUTH_TOKEN],
      ['SESSION_SECRET', sessionSecretText, DEV_SESSION_SECRET],
    ];
    for (const [key, value, example] of refused) {
      if (value === example) {
        const fix =
          key === 'TWILIO_AUTH_TOKEN'
            ? 'copy the auth token from the Twilio console (Account info)'
            : 'make one with: openssl rand -base64 32';
        invalid(key, `is the example value, which production refuses; ${fix}`, null);
      }
    }
  }

  const quiet = read(env, 'SMS_QUIET_HOURS');
  const faxHours = read(env, 'FAX_BUSINESS_HOURS', faxProvider === 'file' ? 'off' : 'Mon-Fri 09:00-18:00');
  const optOutHint = read(env, 'OPT_OUT_HINT');

  const port = integer(env, 'PORT', 0, 65535);
  const config: Config = {
    nodeEnv,
    port,
    host: read(env, 'HOST'),
    metricsPort: integer(env, 'METRICS_PORT', 0, 65535),
    logLevel: oneOf(env, 'LOG_LEVEL', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redis: redisTarget(env),
    // Follows PORT unless set, so a laptop on another port still signs and answers its own webhooks.
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL', ['http:', 'https:'], `http://localhost:${port}`),
    publicBaseUrlSet: optional(env, 'PUBLIC_BASE_URL') !== null,
    orgTimezone: timezone(env, 'ORG_TIMEZONE'),
    currency: currencyCode(env, 'CURRENCY'),
    twilio: {
      accountSid: read(env, 'TWILIO_ACCOUNT_SID'),
      authToken,
      messagingServiceSid: optional(env, 'TWILIO_MESSAGING_SERVICE_SID'),
      smsFrom: optional(env, 'SMS_FROM'),
      apiBaseUrl: optionalUrl(env, 'TWILIO_API_BASE_URL'),
      managesOptOut: boolean(env, 'TWILIO_MANAGES_OPT_OUT'),
      // Under the inbound webhook's wait for Postgres (8 s, sms/routes.ts), which a STOP may spend on the
      // member.
      timeoutMs: integer(env, 'TWILIO_TIMEOUT_MS', 100, 7_000),
    },
    sms: {
      provider: oneOf(env, 'SMS_PROVIDER', ['twilio', 'log'] as const),
      maxPerSecond: integer(env, 'SMS_MAX_PER_SECOND', 1, 10_000),
      quietHours: quiet.toLowerCase() === 'off' ? null : dailyWindow('SMS_QUIET_HOURS', quiet),
      repliesPerHour: integer(env, 'SMS_REPLIES_PER_HOUR', 1, 1000),
      pricePerSegment: decimal(env, 'SMS_PRICE_PER_SEGMENT'),
      confirmAbove: integer(env, 'BROADCAST_CONFIRM_ABOVE', 0, 10_000_000),
      spoolDir: read(env, 'SPOOL_DIR'),
    },
    fax: {
      provider: faxProvider,
      outboxDir: read(env, 'FAX_OUTBOX_DIR'),
      businessHours: faxHours.toLowerCase() === 'off' ? null : businessHours('FAX_BUSINESS_HOURS', faxHours),
      maxPages: integer(env, 'FAX_MAX_PAGES', 2, 500),
      pricePerPage: decimal(env, 'FAX_PRICE_PER_PAGE'),
      secondsPerPage: integer(env, 'FAX_SECONDS_PER_PAGE', 1, 600),
      inProgressLimitMinutes: integer(env, 'FAX_IN_PROGRESS_LIMIT_MINUTES', 1, 10_080),
    },
    sinch: {
      projectId: optional(env, 'SINCH_PROJECT_ID'),
      keyId: optional(env, 'SINCH_KEY_ID'),
      keySecret: optional(env, 'SINCH_KEY_SECRET'),
      faxBaseUrl: url(env, 'SINCH_FAX_BASE_URL', ['http:', 'https:']),
      authBaseUrl: url(env, 'SINCH_AUTH_BASE_URL', ['http:', 'https:']),
    },
    phone: {
      encryptionKey: key32('PHONE_ENCRYPTION_KEY', encryptionKeyText),
      oldEncryptionKeys: (optional(env, 'PHONE_ENCRYPTION_OLD_KEYS') ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean)
        .map((k) => key32('PHONE_ENCRYPTION_OLD_KEYS', k)),
      indexKey: key32('PHONE_INDEX_KEY', indexKeyText),
    },
    joinKeywords: wordList(env, 'JOIN_KEYWORDS'),
    supporterCalls: boolean(env, 'SUPPORTER_CALLS'),
    retentionDays: integer(env, 'RETENTION_DAYS', 1, 36_500),
    queuePrefix: queuePrefix(env),
    api: {
      requestsPerMinute: integer(env, 'API_REQUESTS_PER_MINUTE', 1, 1_000_000),
      failedTokensPer15Minutes: integer(env, 'API_FAILED_TOKENS_PER_15_MINUTES', 1, 100_000),
    },
    orgName: read(env, 'ORG_NAME'),
    smsShortcode: read(env, 'SMS_SHORTCODE'),
    optOutHint,
    sessionSecret: key32('SESSION_SECRET', sessionSecretText),
    ...mailConfig(env),
    trustProxy: trustProxy(env),
    dryRun: [],
  };
  config.dryRun = [
    ...(config.sms.provider === 'log' ? ['texts are logged, not sent (SMS_PROVIDER=log)'] : []),
    ...(faxProvider === 'file' ? [`faxes are written to ${config.fax.outboxDir} (FAX_PROVIDER=file)`] : []),
    ...(config.mail.transport === 'file'
      ? [`e-mails are written to ${config.fax.outboxDir}/mail (MAIL_TRANSPORT=file)`]
      : []),
    ...(config.publicBaseUrl.startsWith('http:')
      ? ['webhooks arrive over plain http (PUBLIC_BASE_URL)']
      : []),
  ];

  if (production) refuseInProduction(config, boolean(env, 'ALLOW_DRY_RUN'));
  if (config.sms.provider === 'twilio' && !config.twilio.messagingServiceSid && !config.twilio.smsFrom) {
    invalid(
      'SMS_FROM',
      'or TWILIO_MESSAGING_SERVICE_SID must be set when SMS_PROVIDER=twilio (the Messaging Service SID ' +
        'MG…, or the sending number)',
      null,
    );
  }
  if (faxProvider === 'sinch') {
    for (const [key, value] of [
      ['SINCH_PROJECT_ID', config.sinch.projectId],
      ['SINCH_KEY_ID', config.sinch.keyId],
      ['SINCH_KEY_SECRET', config.sinch.keySecret],
    ] as const) {
      if (!value) {
        invalid(
          key,
          'must be set when FAX_PROVIDER=sinch (Sinch dashboard: Settings, Projects and Access keys)',
          null,
        );
      }
    }
  }
  return config;
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/u;

function emailAddress(env: Env, key: ConfigVariable, fallback: string | null): string | null {
  const raw = optional(env, key) ?? fallback;
  if (raw !== null && !EMAIL.test(raw)) return invalid(key, `must be an e-mail address (got "${raw}")`, null);
  return raw;
}

/**
 * E-mail delivery and the letterhead: MAIL_*, SMTP_URL, FAX_EMAIL_FALLBACK_HOURS and ORG_ADDRESS/EMAIL/PHONE.
 */
function mailConfig(env: Env): Pick<Config, 'mail' | 'letterhead'> {
  const transport = oneOf(env, 'MAIL_TRANSPORT', ['smtp', 'file'] as const);
  const smtpUrl = optional(env, 'SMTP_URL');
  // Checked without echoing it: the URL may carry the server's password.
  if (smtpUrl !== null && !/^smtps?:\/\/[^/\s]+/u.test(smtpUrl)) {
    invalid('SMTP_URL', 'must start with smtp:// or smtps:// and name a host', null);
  }
  if (transport === 'smtp' && smtpUrl === null) {
    invalid(
      'SMTP_URL',
      'must be set when MAIL_TRANSPORT=smtp (e.g. smtp://user:pass@mail.example.org:587)',
      null,
    );
  }
  const orgEmail = emailAddress(env, 'ORG_EMAIL', null);
  // A real server needs a sender of our own; the file transport's dry runs can do with a placeholder.
  const from = emailAddress(
    env,
    'MAIL_FROM',
    transport === 'file' ? (orgEmail ?? 'pocket-protest@example.org') : null,
  );
  if (from === null)
    invalid('MAIL_FROM', 'must be set when MAIL_TRANSPORT=smtp (a sender your server may send as)', null);
  return {
    mail: {
      transport,
      smtpUrl,
      from: from ?? 'pocket-protest@example.org',
      fallbackHours: integer(env, 'FAX_EMAIL_FALLBACK_HOURS', 0, 8_760),
    },
    letterhead: {
      // One line of .env: "\n" (backslash, n) breaks the address into lines.
      address: optional(env, 'ORG_ADDRESS')?.replace(/\\n/gu, '\n') ?? null,
      email: orgEmail,
      phone: optional(env, 'ORG_PHONE'),
    },
  };
}

/**
 * What production refuses: one key doing two jobs (a leak of one would open the other), a Twilio auth
 * token that is not one (webhook signatures would be checked against a guess), and, unless
 * ALLOW_DRY_RUN=true says it is meant, texts and faxes that never leave the machine or webhooks over
 * plain http.
 */
function refuseInProduction(config: Config, allowDryRun: boolean): void {
  const keys: Array<[string, Buffer]> = [
    ['PHONE_ENCRYPTION_KEY', config.phone.encryptionKey],
    ['PHONE_INDEX_KEY', config.phone.indexKey],
    ['SESSION_SECRET', config.sessionSecret],
  ];
  for (const [i, [key, value]] of keys.entries()) {
    const same = keys.slice(0, i).find(([, earlier]) => earlier.equals(value));
    if (same)
      invalid(key, `is the same key as ${same[0]}; give each its own (openssl rand -base64 32)`, null);
  }
  if (!/^[0-9a-f]{32}$/i.test(config.twilio.authToken)) {
    invalid(
      'TWILIO_AUTH_TOKEN',
      'must be a Twilio auth token: 32 hexadecimal characters (Twilio console, Account info)',
      null,
    );
  }
  if (allowDryRun) return;
  // Each with the real setting and what it needs in turn, so that one run of the doctor says it all.
  const dry: Array<[string, boolean, string]> = [
    [
      'SMS_PROVIDER',
      config.sms.provider === 'log',
      'twilio, with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_MESSAGING_SERVICE_SID (or SMS_FROM)',
    ],
    [
      'FAX_PROVIDER',
      config.fax.provider === 'file',
      'sinch, with SINCH_PROJECT_ID, SINCH_KEY_ID and SINCH_KEY_SECRET',
    ],
    ['MAIL_TRANSPORT', config.mail.transport === 'file', 'smtp, with SMTP_URL and MAIL_FROM'],
  ];
  for (const [key, isDry, real] of dry) {
    if (isDry) {
      invalid(
        key,
        `sends nothing in production; set it to ${real}, or set ALLOW_DRY_RUN=true for a dry run`,
        null,
      );
    }
  }
  if (config.publicBaseUrl.startsWith('http:')) {
    invalid(
      'PUBLIC_BASE_URL',
      'must start with https:// in production: the public address Twilio and Sinch call (or set ' +
        'ALLOW_DRY_RUN=true for a dry run)',
      null,
    );
  }
}

const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: off (the default: the client is whoever opened the connection), a number of proxies in
 * front, or their addresses and ranges. `true` is refused: it would let any client name its own
 * address in X-Forwarded-For and so dodge, or aim, the sign-in limits.
 */
function trustProxy(env: Env): false | number | string[] {
  const raw = read(env, 'TRUST_PROXY');
  if (['off', 'false', 'no', '0'].includes(raw.toLowerCase())) return false;
  if (raw.toLowerCase() === 'true') {
    return invalid(
      'TRUST_PROXY',
      'true would let any client choose its address; give the number of proxies in front (e.g. 1) ' +
        'or their addresses',
      false,
    );
  }
  if (/^\d+$/.test(raw)) return integer(env, 'TRUST_PROXY', 1, 10, 0);
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const prefixOk =
      prefix === undefined ||
      (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (isIP(address) === 4 ? 32 : 128));
    if (!(PROXY_RANGES.includes(entry) || (isIP(address) !== 0 && prefixOk && extra === undefined))) {
      return invalid(
        'TRUST_PROXY',
        `must be off, the number of proxies in front (e.g. 1), or their addresses (10.0.0.0/8, loopback); ` +
          `got "${entry}"`,
        false,
      );
    }
  }
  return entries;
}

function hostPorts(env: Env, key: ConfigVariable): HostPort[] {
  const raw = read(env, key);
  return raw.split(',').flatMap((entry) => {
    const match = /^\[?([^\s\]]+?)\]?:(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    if (!match?.[1] || port < 1 || port > 65535) {
      return invalid(key, `must be a comma-separated list of host:port (got "${entry.trim()}")`, []);
    }
    return [{ host: match[1], port }];
  });
}

const REDIS_WAYS = 'REDIS_URL, REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES';

/**
 * REDIS_URL (one server, the default), REDIS_SENTINELS + REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES:
 * exactly one way, so that no process silently reaches another Redis than its neighbours.
 */
function redisTarget(env: Env): RedisTarget {
  const fallback: RedisTarget = { kind: 'single', url: defaultOf('REDIS_URL'), password: null, tls: false };
  const given = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter(
    (key) => optional(env, key) !== null,
  );
  if (given.length > 1) {
    return invalid(
      given[1] as string,
      `and ${given[0]} are both set: give one way to reach Redis (${REDIS_WAYS})`,
      fallback,
    );
  }
  const kind = given[0] ?? 'REDIS_URL';
  for (const key of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const) {
    if (kind !== 'REDIS_SENTINELS' && optional(env, key) !== null) {
      return invalid(
        key,
        `is set without REDIS_SENTINELS${kind === 'REDIS_URL' ? '' : ` (${kind} is set)`}`,
        fallback,
      );
    }
  }
  let password = optional(env, 'REDIS_PASSWORD');
  let tls = boolean(env, 'REDIS_TLS');
  if (kind === 'REDIS_URL') {
    const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
    const parsed = new URL(redisUrl);
    if (password !== null && parsed.password !== '') {
      return invalid('REDIS_PASSWORD', 'and a password in REDIS_URL are both set: give one', fallback);
    }
    tls ||= parsed.protocol === 'rediss:';
    password ??= parsed.password === '' ? null : decodeURIComponent(parsed.password);
    return { kind: 'single', url: redisUrl, password, tls };
  }
  if (kind === 'REDIS_SENTINELS') {
    const name = optional(env, 'REDIS_SENTINEL_NAME');
    if (name === null) {
      return invalid(
        'REDIS_SENTINEL_NAME',
        'must be set with REDIS_SENTINELS: the name the sentinels give the master',
        fallback,
      );
    }
    return {
      kind: 'sentinel',
      sentinels: hostPorts(env, 'REDIS_SENTINELS'),
      name,
      sentinelPassword: optional(env, 'REDIS_SENTINEL_PASSWORD'),
      password,
      tls,
    };
  }
  return { kind: 'cluster', nodes: hostPorts(env, 'REDIS_CLUSTER_NODES'), password, tls };
}

/** A Redis Cluster hash tag (`{…}`) keeps each queue's keys in one slot, so the prefix must carry one. */
function queuePrefix(env: Env): string {
  const prefix = read(env, 'QUEUE_PREFIX');
  if (!/^[^\s:]*\{[^{}\s:]+\}[^\s:]*$/.test(prefix)) {
    return invalid(
      'QUEUE_PREFIX',
      'must hold one {hash tag} and no spaces or colons, e.g. {pp} or {pp-staging}',
      defaultOf('QUEUE_PREFIX'),
    );
  }
  return prefix;
}

/**
 * Every problem of a configuration at once, each naming its variable and what to set (the doctor),
 * with the configuration read around them (defaults where a variable did not read). One problem a
 * variable: the first, as the fix of one often settles the next (the example Twilio token is also not
 * a token).
 */
export function readConfig(env: Env = process.env): { config: Config; problems: ConfigError[] } {
  collecting = [];
  try {
    const config = loadConfig(env);
    const problems = collecting.filter(
      (problem, i, all) => all.findIndex((other) => other.key === problem.key) === i,
    );
    return { config, problems };
  } finally {
    collecting = null;
  }
}

/** The npm script this process was started by (`npm run -s cli --` sets `cli`), if any. */
export function npmScript(env: Env = process.env): string | null {
  return env.npm_lifecycle_event ?? null;
}

/** The process's environment: read here, the one place (a lint rule keeps it so). */
export function environment(): Env {
  return process.env;
}

/** The variables `.env` sets, without applying them (the doctor looks for names that are no setting). */
export function readDotEnv(path = '.env'): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

/** Reads `.env` into process.env when there is one; variables already set win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
