import { existsSync } from 'node:fs';
import { isIP } from 'node:net';

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

/** Example keys from .env.example: fine on a laptop, refused in production. */
export const DEV_PHONE_ENCRYPTION_KEY = 'ZGV2LW9ubHktcGhvbmUtZW5jcnlwdGlvbi1rZXktMzI=';
export const DEV_PHONE_INDEX_KEY = 'ZGV2LW9ubHktcGhvbmUtYmxpbmQtaW5kZXgta2V5MzI=';
export const DEV_TWILIO_ACCOUNT_SID = 'ACdev00000000000000000000000000000';
export const DEV_TWILIO_AUTH_TOKEN = 'dev-twilio-auth-token';
export const DEV_SESSION_SECRET = 'ZGV2LW9ubHktY29uc29sZS1zZXNzaW9uLXNlY3JldDE=';

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
  logLevel: string;
  databaseUrl: string;
  redisUrl: string;
  publicBaseUrl: string;
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
    /** A fax the provider still reports in progress this long after it was submitted is given up as failed. */
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
    /** Hours before a campaign's closesAt from which a target whose fax still fails is tried by e-mail too. */
    fallbackHours: number;
  };
  /** The sender block of the letter page, under ORG_NAME; each line only when set. */
  letterhead: { address: string | null; email: string | null; phone: string | null };
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses and ranges. */
  trustProxy: false | number | string[];
  /** What does not reach the world in this process (texts logged, faxes written, plain http), said at start. */
  dryRun: string[];
}

type Env = Record<string, string | undefined>;

/**
 * Every variable `loadConfig` reads (a test checks this list against the source), for the checks of
 * docker-compose.yml, `.env.example` and the doctor.
 */
export const CONFIG_VARIABLES = [
  'NODE_ENV',
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'DATABASE_URL',
  'REDIS_URL',
  'PUBLIC_BASE_URL',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_MESSAGING_SERVICE_SID',
  'SMS_FROM',
  'TWILIO_API_BASE_URL',
  'TWILIO_MANAGES_OPT_OUT',
  'SMS_PROVIDER',
  'SMS_MAX_PER_SECOND',
  'SMS_QUIET_HOURS',
  'SMS_REPLIES_PER_HOUR',
  'SMS_PRICE_PER_SEGMENT',
  'FAX_PROVIDER',
  'FAX_OUTBOX_DIR',
  'FAX_BUSINESS_HOURS',
  'FAX_MAX_PAGES',
  'FAX_PRICE_PER_PAGE',
  'FAX_SECONDS_PER_PAGE',
  'FAX_IN_PROGRESS_LIMIT_MINUTES',
  'SINCH_PROJECT_ID',
  'SINCH_KEY_ID',
  'SINCH_KEY_SECRET',
  'SINCH_FAX_BASE_URL',
  'SINCH_AUTH_BASE_URL',
  'PHONE_ENCRYPTION_KEY',
  'PHONE_ENCRYPTION_OLD_KEYS',
  'PHONE_INDEX_KEY',
  'SESSION_SECRET',
  'JOIN_KEYWORDS',
  'SUPPORTER_CALLS',
  'RETENTION_DAYS',
  'QUEUE_PREFIX',
  'API_REQUESTS_PER_MINUTE',
  'API_FAILED_TOKENS_PER_15_MINUTES',
  'ORG_NAME',
  'OPT_OUT_HINT',
  'MAIL_TRANSPORT',
  'SMTP_URL',
  'MAIL_FROM',
  'FAX_EMAIL_FALLBACK_HOURS',
  'ORG_ADDRESS',
  'ORG_EMAIL',
  'ORG_PHONE',
  'TRUST_PROXY',
  'ALLOW_DRY_RUN',
  'ORG_TIMEZONE',
  'SMS_SHORTCODE',
  'CURRENCY',
  'BROADCAST_CONFIRM_ABOVE',
  'SPOOL_DIR',
] as const;

function read(env: Env, key: string, fallback: string): string {
  const value = env[key];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function timezone(env: Env, key: string, fallback: string): string {
  const raw = read(env, key, fallback);
  try {
    return new Intl.DateTimeFormat('en', { timeZone: raw }).resolvedOptions().timeZone;
  } catch {
    throw new ConfigError(key, `must be an IANA time zone such as Europe/London (got "${raw}")`);
  }
}

function currencyCode(env: Env, key: string, fallback: string): string {
  const raw = read(env, key, fallback).toUpperCase();
  if (!/^[A-Z]{3}$/.test(raw))
    throw new ConfigError(key, `must be a three-letter code such as GBP (got "${raw}")`);
  return raw;
}

function optional(env: Env, key: string): string | null {
  const value = env[key]?.trim();
  return value ? value : null;
}

function integer(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = read(env, key, String(fallback));
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(key, `must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function decimal(env: Env, key: string, fallback: number): number {
  const raw = read(env, key, String(fallback));
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value)) {
    throw new ConfigError(key, `must be a non-negative number such as 0.04 (got "${raw}")`);
  }
  return value;
}

function boolean(env: Env, key: string, fallback: boolean): boolean {
  const raw = read(env, key, String(fallback)).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(key, `must be true or false (got "${raw}")`);
}

function oneOf<T extends string>(env: Env, key: string, fallback: T, allowed: readonly T[]): T {
  const raw = read(env, key, fallback);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(key, `must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function url(env: Env, key: string, fallback: string, protocols: readonly string[]): string {
  const raw = read(env, key, fallback);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(key, `must be a URL (got "${raw}")`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(key, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw.replace(/\/+$/, '');
}

function optionalUrl(env: Env, key: string): string | null {
  return optional(env, key) === null ? null : url(env, key, '', ['http:', 'https:']);
}

function key32(key: string, raw: string): Buffer {
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64') !== raw) {
    throw new ConfigError(key, 'must be 32 bytes encoded in base64 (make one with: openssl rand -base64 32)');
  }
  return bytes;
}

function clockTime(key: string, text: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) throw new ConfigError(key, `has a time that is not HH:MM (got "${text}")`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function dailyWindow(key: string, text: string): DailyWindow {
  const [start, end, extra] = text.split('-');
  if (start === undefined || end === undefined || extra !== undefined) {
    throw new ConfigError(key, `must look like 21:00-08:00 or be off (got "${text}")`);
  }
  return { start: clockTime(key, start.trim()), end: clockTime(key, end.trim()) };
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function weekday(key: string, text: string): number {
  const index = WEEKDAYS.indexOf(text.toLowerCase());
  if (index < 0) throw new ConfigError(key, `has an unknown weekday "${text}" (use Mon … Sun)`);
  return index + 1;
}

function businessHours(key: string, text: string): BusinessHours {
  const match = /^(\w{3})(?:-(\w{3}))?\s+(\S+)$/.exec(text);
  if (!match?.[1] || !match[3]) {
    throw new ConfigError(key, `must look like "Mon-Fri 09:00-18:00" or be off (got "${text}")`);
  }
  const first = weekday(key, match[1]);
  const last = match[2] ? weekday(key, match[2]) : first;
  if (last < first) throw new ConfigError(key, 'must name its days from the earlier to the later one');
  const days = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  return { days, ...dailyWindow(key, match[3]) };
}

function wordList(env: Env, key: string, fallback: string): string[] {
  const words = read(env, key, fallback)
    .split(',')
    .map((word) => word.trim().toUpperCase())
    .filter(Boolean);
  if (words.length === 0 || words.some((word) => !/^\p{L}+$/u.test(word))) {
    throw new ConfigError(key, 'must be a comma-separated list of words made of letters');
  }
  return words;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', 'development', ['development', 'test', 'production'] as const);
  const production = nodeEnv === 'production';
  const faxProvider = oneOf(env, 'FAX_PROVIDER', 'file', ['sinch', 'file'] as const);

  const encryptionKeyText = read(env, 'PHONE_ENCRYPTION_KEY', DEV_PHONE_ENCRYPTION_KEY);
  const indexKeyText = read(env, 'PHONE_INDEX_KEY', DEV_PHONE_INDEX_KEY);
  const authToken = read(env, 'TWILIO_AUTH_TOKEN', DEV_TWILIO_AUTH_TOKEN);
  const sessionSecretText = read(env, 'SESSION_SECRET', DEV_SESSION_SECRET);
  if (production) {
    const refused: Array<[string, string, string]> = [
      ['PHONE_ENCRYPTION_KEY', encryptionKeyText, DEV_PHONE_ENCRYPTION_KEY],
      ['PHONE_INDEX_KEY', indexKeyText, DEV_PHONE_INDEX_KEY],
      ['TWILIO_AUTH_TOKEN', authToken, DEV_TWILIO_AUTH_TOKEN],
      ['SESSION_SECRET', sessionSecretText, DEV_SESSION_SECRET],
    ];
    for (const [key, value, example] of refused) {
      if (value === example) throw new ConfigError(key, 'is the example value, which production refuses');
    }
  }

  const quiet = read(env, 'SMS_QUIET_HOURS', '21:00-08:00');
  const faxHours = read(env, 'FAX_BUSINESS_HOURS', faxProvider === 'file' ? 'off' : 'Mon-Fri 09:00-18:00');
  const optOutHint = read(env, 'OPT_OUT_HINT', 'Text STOP AMNESTY to opt out');

  const port = integer(env, 'PORT', 3000, 0, 65535);
  const config: Config = {
    nodeEnv,
    port,
    host: read(env, 'HOST', '0.0.0.0'),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    databaseUrl: url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/pocketprotest', [
      'postgres:',
      'postgresql:',
    ]),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    // Follows PORT unless set, so a laptop on another port still signs and answers its own webhooks.
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL', `http://localhost:${port}`, ['http:', 'https:']),
    orgTimezone: timezone(env, 'ORG_TIMEZONE', 'Europe/London'),
    currency: currencyCode(env, 'CURRENCY', 'GBP'),
    twilio: {
      accountSid: read(env, 'TWILIO_ACCOUNT_SID', DEV_TWILIO_ACCOUNT_SID),
      authToken,
      messagingServiceSid: optional(env, 'TWILIO_MESSAGING_SERVICE_SID'),
      smsFrom: optional(env, 'SMS_FROM'),
      apiBaseUrl: optionalUrl(env, 'TWILIO_API_BASE_URL'),
      managesOptOut: boolean(env, 'TWILIO_MANAGES_OPT_OUT', false),
    },
    sms: {
      provider: oneOf(env, 'SMS_PROVIDER', 'log', ['twilio', 'log'] as const),
      maxPerSecond: integer(env, 'SMS_MAX_PER_SECOND', 30, 1, 10_000),
      quietHours: quiet.toLowerCase() === 'off' ? null : dailyWindow('SMS_QUIET_HOURS', quiet),
      repliesPerHour: integer(env, 'SMS_REPLIES_PER_HOUR', 10, 1, 1000),
      pricePerSegment: decimal(env, 'SMS_PRICE_PER_SEGMENT', 0.04),
      confirmAbove: integer(env, 'BROADCAST_CONFIRM_ABOVE', 1_000, 0, 10_000_000),
      spoolDir: read(env, 'SPOOL_DIR', 'var/spool'),
    },
    fax: {
      provider: faxProvider,
      outboxDir: read(env, 'FAX_OUTBOX_DIR', 'var/outbox'),
      businessHours: faxHours.toLowerCase() === 'off' ? null : businessHours('FAX_BUSINESS_HOURS', faxHours),
      maxPages: integer(env, 'FAX_MAX_PAGES', 25, 2, 500),
      pricePerPage: decimal(env, 'FAX_PRICE_PER_PAGE', 0.07),
      secondsPerPage: integer(env, 'FAX_SECONDS_PER_PAGE', 40, 1, 600),
      inProgressLimitMinutes: integer(env, 'FAX_IN_PROGRESS_LIMIT_MINUTES', 120, 1, 10_080),
    },
    sinch: {
      projectId: optional(env, 'SINCH_PROJECT_ID'),
      keyId: optional(env, 'SINCH_KEY_ID'),
      keySecret: optional(env, 'SINCH_KEY_SECRET'),
      faxBaseUrl: url(env, 'SINCH_FAX_BASE_URL', 'https://fax.api.sinch.com', ['http:', 'https:']),
      authBaseUrl: url(env, 'SINCH_AUTH_BASE_URL', 'https://auth.sinch.com', ['http:', 'https:']),
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
    joinKeywords: wordList(env, 'JOIN_KEYWORDS', 'JOIN,PROTEST'),
    supporterCalls: boolean(env, 'SUPPORTER_CALLS', false),
    retentionDays: integer(env, 'RETENTION_DAYS', 180, 1, 36_500),
    queuePrefix: queuePrefix(env),
    api: {
      requestsPerMinute: integer(env, 'API_REQUESTS_PER_MINUTE', 600, 1, 1_000_000),
      failedTokensPer15Minutes: integer(env, 'API_FAILED_TOKENS_PER_15_MINUTES', 20, 1, 100_000),
    },
    orgName: read(env, 'ORG_NAME', 'Amnesty International UK'),
    smsShortcode: read(env, 'SMS_SHORTCODE', '70505'),
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

  if (production) refuseInProduction(config, boolean(env, 'ALLOW_DRY_RUN', false));
  if (config.sms.provider === 'twilio' && !config.twilio.messagingServiceSid && !config.twilio.smsFrom) {
    throw new ConfigError('SMS_FROM', 'or TWILIO_MESSAGING_SERVICE_SID must be set when SMS_PROVIDER=twilio');
  }
  if (faxProvider === 'sinch') {
    for (const [key, value] of [
      ['SINCH_PROJECT_ID', config.sinch.projectId],
      ['SINCH_KEY_ID', config.sinch.keyId],
      ['SINCH_KEY_SECRET', config.sinch.keySecret],
    ] as const) {
      if (!value) throw new ConfigError(key, 'must be set when FAX_PROVIDER=sinch');
    }
  }
  return config;
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/u;

function emailAddress(env: Env, key: string, fallback: string | null): string | null {
  const raw = optional(env, key) ?? fallback;
  if (raw !== null && !EMAIL.test(raw))
    throw new ConfigError(key, `must be an e-mail address (got "${raw}")`);
  return raw;
}

/** E-mail delivery and the letterhead: MAIL_*, SMTP_URL, FAX_EMAIL_FALLBACK_HOURS and ORG_ADDRESS/EMAIL/PHONE. */
function mailConfig(env: Env): Pick<Config, 'mail' | 'letterhead'> {
  const transport = oneOf(env, 'MAIL_TRANSPORT', 'file', ['smtp', 'file'] as const);
  const smtpUrl = optional(env, 'SMTP_URL');
  // Checked without echoing it: the URL may carry the server's password.
  if (smtpUrl !== null && !/^smtps?:\/\/[^/\s]+/u.test(smtpUrl)) {
    throw new ConfigError('SMTP_URL', 'must start with smtp:// or smtps:// and name a host');
  }
  if (transport === 'smtp' && smtpUrl === null) {
    throw new ConfigError(
      'SMTP_URL',
      'must be set when MAIL_TRANSPORT=smtp (e.g. smtp://user:pass@mail.example.org:587)',
    );
  }
  const orgEmail = emailAddress(env, 'ORG_EMAIL', null);
  // A real server needs a sender of our own; the file transport's dry runs can do with a placeholder.
  const from = emailAddress(
    env,
    'MAIL_FROM',
    transport === 'file' ? (orgEmail ?? 'pocket-protest@example.org') : null,
  );
  if (from === null) throw new ConfigError('MAIL_FROM', 'must be set when MAIL_TRANSPORT=smtp');
  return {
    mail: {
      transport,
      smtpUrl,
      from,
      fallbackHours: integer(env, 'FAX_EMAIL_FALLBACK_HOURS', 12, 0, 8_760),
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
      throw new ConfigError(
        key,
        `is the same key as ${same[0]}; give each its own (openssl rand -base64 32)`,
      );
  }
  if (!/^[0-9a-f]{32}$/i.test(config.twilio.authToken)) {
    throw new ConfigError('TWILIO_AUTH_TOKEN', 'must be a Twilio auth token: 32 hexadecimal characters');
  }
  if (allowDryRun) return;
  const dry: Array<[string, boolean]> = [
    ['SMS_PROVIDER', config.sms.provider === 'log'],
    ['FAX_PROVIDER', config.fax.provider === 'file'],
    ['MAIL_TRANSPORT', config.mail.transport === 'file'],
    ['PUBLIC_BASE_URL', config.publicBaseUrl.startsWith('http:')],
  ];
  for (const [key, isDry] of dry) {
    if (isDry) {
      throw new ConfigError(
        key,
        key === 'PUBLIC_BASE_URL'
          ? 'must start with https:// in production (or set ALLOW_DRY_RUN=true for a dry run)'
          : 'sends nothing in production; set a real provider, or ALLOW_DRY_RUN=true for a dry run',
      );
    }
  }
}

const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: off (the default: the client is whoever opened the connection), a number of proxies in
 * front, or their addresses and ranges. `true` is refused: it would let any client name its own
 * address in X-Forwarded-For and so dodge, or aim, the sign-in limits.
 */
function trustProxy(env: Env): false | number | string[] {
  const raw = read(env, 'TRUST_PROXY', 'off');
  if (['off', 'false', 'no', '0'].includes(raw.toLowerCase())) return false;
  if (raw.toLowerCase() === 'true') {
    throw new ConfigError(
      'TRUST_PROXY',
      'true would let any client choose its address; give the number of proxies in front (e.g. 1) or their addresses',
    );
  }
  if (/^\d+$/.test(raw)) return integer(env, 'TRUST_PROXY', 0, 1, 10);
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const prefixOk =
      prefix === undefined ||
      (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (isIP(address) === 4 ? 32 : 128));
    if (!(PROXY_RANGES.includes(entry) || (isIP(address) !== 0 && prefixOk && extra === undefined))) {
      throw new ConfigError(
        'TRUST_PROXY',
        `must be off, the number of proxies in front (e.g. 1), or their addresses (10.0.0.0/8, loopback); got "${entry}"`,
      );
    }
  }
  return entries;
}

/** A Redis Cluster hash tag (`{…}`) keeps each queue's keys in one slot, so the prefix must carry one. */
function queuePrefix(env: Env): string {
  const prefix = read(env, 'QUEUE_PREFIX', '{pp}');
  if (!/^[^\s:]*\{[^{}\s:]+\}[^\s:]*$/.test(prefix)) {
    throw new ConfigError(
      'QUEUE_PREFIX',
      'must hold one {hash tag} and no spaces or colons, e.g. {pp} or {pp-staging}',
    );
  }
  return prefix;
}

/** Reads `.env` into process.env when there is one; variables already set win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
