/**
 * Every variable the configuration reads, defined once: \`src/config.ts\` parses each with its default
 * from here, \`.env.example\` is written from here (\`npm run -s cli -- config example\`, checked by a
 * test), and the doctor groups its checks by the variables' groups. Pure data, read by no one's I/O.
 */

export type ConfigGroup =
  | 'runtime'
  | 'postgres'
  | 'redis'
  | 'public-url'
  | 'twilio'
  | 'sms'
  | 'fax'
  | 'sinch'
  | 'keys'
  | 'members'
  | 'staff-api'
  | 'organisation'
  | 'letterhead'
  | 'mail';

export interface ConfigVariableSpec {
  group: ConfigGroup;
  /**
   * What a process uses when the variable is unset or empty; null when unset means "none" or the doc says how
   * it follows other settings.
   */
  default: string | null;
  /** What \`.env.example\` writes, when not the default. */
  example?: string;
  /** \`.env.example\` shows it commented out: documented, but not set by a copied .env. */
  commented?: boolean;
  /** The comment lines above it in \`.env.example\`. */
  doc?: readonly string[];
  /** A blank line before it in \`.env.example\`: it starts a paragraph. */
  paragraph?: boolean;
}

const ENV_EXAMPLE_HEADER = [
  'Pocket Protest configuration. Copy to .env (cp .env.example .env) and edit; every variable has a',
  'default fit for a laptop, so a line left commented out keeps its default.',
  'NODE_ENV=production refuses the example keys below and other dev defaults.',
];

export const CONFIG_SCHEMA = {
  NODE_ENV: {
    group: 'runtime',
    default: 'development',
    commented: true,
    paragraph: true,
    doc: [
      'development (the default: readable logs) | test | production (JSON logs). Left commented out so',
      'that a copied .env never undoes the NODE_ENV=production of docker-compose.yml or your platform.',
    ],
  },
  PORT: { group: 'runtime', default: '3000', doc: ['Where the web process listens.'] },
  HOST: { group: 'runtime', default: '0.0.0.0' },
  METRICS_PORT: {
    group: 'runtime',
    default: '9464',
    doc: [
      'Where a worker process (npm run start:worker) serves /metrics for Prometheus, on HOST; ' +
        '0 picks a free port.',
    ],
  },
  LOG_LEVEL: {
    group: 'runtime',
    default: 'info',
    doc: ['fatal | error | warn | info | debug | trace | silent'],
  },
  DATABASE_URL: {
    group: 'postgres',
    default: 'postgres://postgres@127.0.0.1:5432/pocketprotest',
    paragraph: true,
    doc: ['Postgres, the source of truth; the database is created if missing and migrated at start-up.'],
  },
  REDIS_URL: {
    group: 'redis',
    default: 'redis://127.0.0.1:6379',
    doc: ['Redis, which only carries work (BullMQ). Run it with maxmemory-policy noeviction.'],
  },
  REDIS_SENTINELS: {
    group: 'redis',
    default: null,
    example: '10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379',
    commented: true,
    doc: [
      "Or, instead of REDIS_URL (exactly one of the three): Redis Sentinel, the sentinels' addresses and the",
      'name they give the master (README "Scaling out")...',
    ],
  },
  REDIS_SENTINEL_NAME: { group: 'redis', default: null, example: 'pp', commented: true },
  REDIS_SENTINEL_PASSWORD: { group: 'redis', default: null, commented: true },
  REDIS_CLUSTER_NODES: {
    group: 'redis',
    default: null,
    example: '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379',
    commented: true,
    doc: ["...or a Redis Cluster's seed nodes (QUEUE_PREFIX keeps its {hash tag}: one slot per queue)."],
  },
  REDIS_PASSWORD: {
    group: 'redis',
    default: null,
    commented: true,
    doc: ["With any of the three: the data nodes' password, and TLS (also said by a rediss:// REDIS_URL)."],
  },
  REDIS_TLS: { group: 'redis', default: 'false', commented: true },
  PUBLIC_BASE_URL: {
    group: 'public-url',
    default: null,
    example: 'https://protest.example.org',
    commented: true,
    doc: [
      'The URL Twilio and the fax provider call; webhook signatures are checked against it. Unset, it',
      'follows PORT (http://localhost:$PORT); in production the public https:// address (README ' +
        '"Deploying").',
    ],
  },
  TWILIO_ACCOUNT_SID: {
    group: 'twilio',
    default: 'ACdev00000000000000000000000000000',
    paragraph: true,
    doc: ['Twilio credentials. The auth token also checks the X-Twilio-Signature of webhooks.'],
  },
  TWILIO_AUTH_TOKEN: { group: 'twilio', default: 'dev-twilio-auth-token' },
  TWILIO_MESSAGING_SERVICE_SID: {
    group: 'twilio',
    default: null,
    doc: ['How outbound SMS are sent: a Messaging Service, or a sender number/shortcode.'],
  },
  SMS_FROM: { group: 'sms', default: null },
  TWILIO_API_BASE_URL: {
    group: 'twilio',
    default: null,
    doc: ['Optional: send Twilio REST calls here instead (fakes, proxies).'],
  },
  TWILIO_MANAGES_OPT_OUT: {
    group: 'twilio',
    default: 'false',
    doc: [
      'true when Twilio Advanced Opt-Out already answers STOP/START/HELP (then we do not answer them twice).',
    ],
  },
  TWILIO_TIMEOUT_MS: {
    group: 'twilio',
    default: '6000',
    doc: [
      'How long a call to Twilio may take, in ms (a STOP waits at most this for a text in flight to its ' +
        'sender).',
    ],
  },
  SMS_PROVIDER: {
    group: 'sms',
    default: 'log',
    doc: ['twilio | log (log = no network: messages are recorded, not sent)'],
  },
  SMS_MAX_PER_SECOND: {
    group: 'sms',
    default: '30',
    doc: ['Global outbound rate (short codes: 100, older UK ones 30).'],
  },
  SMS_QUIET_HOURS: {
    group: 'sms',
    default: '21:00-08:00',
    doc: ['When broadcasts wait, UK time; "off" sends at any hour.'],
  },
  SMS_REPLIES_PER_HOUR: {
    group: 'sms',
    default: '10',
    doc: ['Flood guard: the most replies one number draws in an hour (a STOP is always confirmed).'],
  },
  SPOOL_DIR: {
    group: 'sms',
    default: 'var/spool',
    doc: [
      "Where a web process spools inbound texts (fsync'd, encrypted with the phone key) while Postgres is",
      'unreachable and Redis is down too; replayed when Postgres is back. Keep it on a persistent volume.',
    ],
  },
  SMS_PRICE_PER_SEGMENT: {
    group: 'sms',
    default: '0.04',
    doc: ["For the estimates staff see before sending, in CURRENCY (GBP: Twilio's UK price is about 0.04)."],
  },
  CURRENCY: { group: 'organisation', default: 'GBP' },
  BROADCAST_CONFIRM_ABOVE: {
    group: 'sms',
    default: '1000',
    doc: ['A broadcast to more people than this asks staff to type the audience size (the API: `confirm`).'],
  },
  FAX_PROVIDER: {
    group: 'fax',
    default: 'file',
    paragraph: true,
    doc: ['sinch | file (file = PDFs written to FAX_OUTBOX_DIR)'],
  },
  FAX_OUTBOX_DIR: { group: 'fax', default: 'var/outbox' },
  FAX_BUSINESS_HOURS: {
    group: 'fax',
    default: null,
    doc: [
      'When a fax may be sent, in each target\'s timezone; "off" = any time.',
      'Default: Mon-Fri 09:00-18:00 with a real provider, off with file.',
    ],
  },
  FAX_MAX_PAGES: {
    group: 'fax',
    default: '25',
    doc: ['The most pages in one fax; longer batches are sent in parts.'],
  },
  FAX_PRICE_PER_PAGE: { group: 'fax', default: '0.07' },
  FAX_SECONDS_PER_PAGE: { group: 'fax', default: '40' },
  FAX_IN_PROGRESS_LIMIT_MINUTES: {
    group: 'fax',
    default: '120',
    doc: [
      'Minutes a fax may stay "in progress" at the provider before it is marked failed for staff to check',
      'with the recipient (it may have arrived, so it is not sent again by itself).',
    ],
  },
  SINCH_PROJECT_ID: {
    group: 'sinch',
    default: null,
    paragraph: true,
    doc: ['Sinch Fax API v3 (base URLs overridable for fakes).'],
  },
  SINCH_KEY_ID: { group: 'sinch', default: null },
  SINCH_KEY_SECRET: { group: 'sinch', default: null },
  SINCH_FAX_BASE_URL: { group: 'sinch', default: 'https://fax.api.sinch.com' },
  SINCH_AUTH_BASE_URL: { group: 'sinch', default: 'https://auth.sinch.com' },
  PHONE_ENCRYPTION_KEY: {
    group: 'keys',
    default: 'ZGV2LW9ubHktcGhvbmUtZW5jcnlwdGlvbi1rZXktMzI=',
    paragraph: true,
    doc: [
      '32-byte keys, base64 (make one with: openssl rand -base64 32). These example values are refused in',
      'production. The encryption key protects stored numbers; the index key finds them again.',
    ],
  },
  PHONE_INDEX_KEY: { group: 'keys', default: 'ZGV2LW9ubHktcGhvbmUtYmxpbmQtaW5kZXgta2V5MzI=' },
  PHONE_ENCRYPTION_OLD_KEYS: {
    group: 'keys',
    default: null,
    doc: ['Earlier encryption keys, comma-separated, still readable after a rotation.'],
  },
  SESSION_SECRET: {
    group: 'keys',
    default: 'ZGV2LW9ubHktY29uc29sZS1zZXNzaW9uLXNlY3JldDE=',
    doc: [
      "Seals the staff console's sign-in cookie (32 bytes, base64; the example is refused in production).",
    ],
  },
  JOIN_KEYWORDS: {
    group: 'sms',
    default: 'JOIN,PROTEST',
    paragraph: true,
    doc: ['Words that join the network without signing (digits after one are a source code: PROTEST15).'],
  },
  SUPPORTER_CALLS: {
    group: 'sms',
    default: 'false',
    doc: ['true when the organisation phones supporters: HELP then says NOCALL stops the calls.'],
  },
  RETENTION_DAYS: {
    group: 'members',
    default: '180',
    doc: ['Days after a campaign is closed and faxed before message bodies and dialogue state are deleted.'],
  },
  QUEUE_PREFIX: {
    group: 'redis',
    default: '{pp}',
    paragraph: true,
    doc: [
      'Key prefix of everything this install keeps in Redis (BullMQ queues, the shared rate limits), so two',
      'installs can share one Redis; keep the {hash tag} for Redis Cluster.',
    ],
  },
  TRUST_PROXY: {
    group: 'public-url',
    default: 'off',
    paragraph: true,
    doc: [
      "Which proxies to believe about the client's address (X-Forwarded-For): off (the default: the address",
      'that opened the connection), the number of proxies in front of the app (1 for one load balancer), or',
      'their addresses and ranges, comma-separated (10.0.0.0/8, 192.0.2.7, loopback). Sign-in limits count',
      'per client address, so a proxy trusted by mistake lets anyone choose theirs. ' +
        'See README "Behind a load',
      'balancer".',
    ],
  },
  ALLOW_DRY_RUN: {
    group: 'runtime',
    default: 'false',
    doc: [
      'Production refuses SMS_PROVIDER=log, FAX_PROVIDER=file, MAIL_TRANSPORT=file and an http: ' +
        'PUBLIC_BASE_URL unless this is true',
      '(a dry run on production settings); the process then says so at start.',
    ],
  },
  API_REQUESTS_PER_MINUTE: {
    group: 'staff-api',
    default: '600',
    doc: [
      'Staff API rate limits: requests per minute for one token; failed tokens from one address per 15 min.',
    ],
  },
  API_FAILED_TOKENS_PER_15_MINUTES: { group: 'staff-api', default: '20' },
  ORG_NAME: {
    group: 'organisation',
    default: 'Amnesty International UK',
    doc: ['Who the texts and the fax come from; the opt-out words in texts.'],
  },
  OPT_OUT_HINT: { group: 'organisation', default: 'Text STOP AMNESTY to opt out' },
  ORG_TIMEZONE: {
    group: 'organisation',
    default: 'Europe/London',
    doc: [
      "How the console, the public page and RECEIPT texts show times (an IANA zone; a campaign's deadline",
      'is typed in it, stored in UTC), and the number shown to text.',
    ],
  },
  SMS_SHORTCODE: { group: 'organisation', default: '70505' },
  ORG_ADDRESS: {
    group: 'letterhead',
    default: null,
    doc: [
      'The sender block of the letter page, each line only when set; "\\n" breaks ORG_ADDRESS into lines.',
    ],
  },
  ORG_EMAIL: { group: 'letterhead', default: null },
  ORG_PHONE: { group: 'letterhead', default: null },
  MAIL_TRANSPORT: {
    group: 'mail',
    default: 'file',
    paragraph: true,
    doc: [
      'E-mail to targets, and to staff when a part finally fails: file writes each message as an .eml file',
      'under FAX_OUTBOX_DIR/mail (a dry run, marked written); smtp sends it over SMTP_URL (smtp:// or',
      'smtps://, with user:password@ when the server wants them).',
    ],
  },
  SMTP_URL: { group: 'mail', default: null },
  MAIL_FROM: {
    group: 'mail',
    default: null,
    doc: [
      'Who the e-mails come from; needed with smtp (the file transport uses ORG_EMAIL, else a placeholder).',
    ],
  },
  FAX_EMAIL_FALLBACK_HOURS: {
    group: 'mail',
    default: '12',
    doc: [
      "Hours before a campaign's closesAt from which a target whose fax still fails is tried by e-mail too.",
    ],
  },
} as const satisfies Record<string, ConfigVariableSpec>;

export type ConfigVariable = keyof typeof CONFIG_SCHEMA;

/**
 * Every variable the configuration reads (docker-compose.yml, .env.example and the doctor are checked against
 * it).
 */
export const CONFIG_VARIABLES = Object.keys(CONFIG_SCHEMA) as ConfigVariable[];

/** The variables of one group, for the doctor's checks. */
export function variablesOf(...groups: ConfigGroup[]): ConfigVariable[] {
  return CONFIG_VARIABLES.filter((name) => (groups as string[]).includes(CONFIG_SCHEMA[name].group));
}

/** \`.env.example\`, written from the definitions above. */
export function envExample(): string {
  const lines = ENV_EXAMPLE_HEADER.map((line) => `# ${line}`.trimEnd());
  for (const name of CONFIG_VARIABLES) {
    const spec: ConfigVariableSpec = CONFIG_SCHEMA[name];
    if (spec.paragraph) lines.push('');
    for (const line of spec.doc ?? []) lines.push(`# ${line}`.trimEnd());
    const value = spec.example ?? spec.default ?? '';
    lines.push(`${spec.commented ? '# ' : ''}${name}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}
