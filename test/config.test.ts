import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_PHONE_ENCRYPTION_KEY, DEV_SESSION_SECRET, loadConfig } from '../src/config.js';

const goodKey = Buffer.alloc(32, 7).toString('base64');
/** A production that sends for real: real keys, a Twilio token, https, Twilio and Sinch. */
const production = {
  NODE_ENV: 'production',
  PHONE_ENCRYPTION_KEY: goodKey,
  PHONE_INDEX_KEY: Buffer.alloc(32, 9).toString('base64'),
  TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
  SESSION_SECRET: Buffer.alloc(32, 11).toString('base64'),
  PUBLIC_BASE_URL: 'https://act.example.org',
  SMS_PROVIDER: 'twilio',
  SMS_FROM: '70505',
  FAX_PROVIDER: 'sinch',
  SINCH_PROJECT_ID: 'p',
  SINCH_KEY_ID: 'k',
  SINCH_KEY_SECRET: 's',
  MAIL_TRANSPORT: 'smtp',
  SMTP_URL: 'smtp://mail.example.org:587',
  MAIL_FROM: 'actions@example.org',
};

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration', () => {
  it('runs on a laptop with no variables set, with the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/pocketprotest');
    expect(config.sms.provider).toBe('log');
    expect(config.fax.provider).toBe('file');
    expect(config.fax.businessHours).toBeNull();
    expect(config.fax.inProgressLimitMinutes).toBe(120);
    expect(config.sms.quietHours).toEqual({ start: 21 * 60, end: 8 * 60 });
    expect(config.joinKeywords).toEqual(['JOIN', 'PROTEST']);
    expect(config.optOutHint).toBe('Text STOP AMNESTY to opt out');
    expect(config.queuePrefix).toBe('{pp}');
  });

  it('takes a queue prefix that keeps a Redis Cluster hash tag, and refuses one without', () => {
    expect(loadConfig({ QUEUE_PREFIX: '{pp-staging}' }).queuePrefix).toBe('{pp-staging}');
    expect(errorOf({ QUEUE_PREFIX: 'pp' }).message).toContain('QUEUE_PREFIX');
    expect(errorOf({ QUEUE_PREFIX: '{pp}:x' }).message).toContain('QUEUE_PREFIX');
  });

  it('reaches Redis one way: a URL, Sentinel or a Cluster, with a password and TLS on any of them', () => {
    expect(loadConfig({}).redis).toEqual({
      kind: 'single',
      url: 'redis://127.0.0.1:6379',
      password: null,
      tls: false,
    });
    expect(loadConfig({ REDIS_URL: 'rediss://:s%40cret@r.example.org:6380' }).redis).toMatchObject({
      kind: 'single',
      password: 's@cret',
      tls: true,
    });
    expect(
      loadConfig({
        REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26380',
        REDIS_SENTINEL_NAME: 'pp',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
        REDIS_PASSWORD: 'data-secret',
        REDIS_TLS: 'true',
      }).redis,
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
      name: 'pp',
      sentinelPassword: 'sentinel-secret',
      password: 'data-secret',
      tls: true,
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'redis-a:7000,[::1]:7001', REDIS_PASSWORD: 'p' }).redis).toEqual(
      {
        kind: 'cluster',
        nodes: [
          { host: 'redis-a', port: 7000 },
          { host: '::1', port: 7001 },
        ],
        password: 'p',
        tls: false,
      },
    );
  });

  it.each([
    [{ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'r:7000' }, 'REDIS_CLUSTER_NODES', 'REDIS_URL'],
    [
      { REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'pp' },
      'REDIS_SENTINELS',
      'REDIS_URL',
    ],
    [
      { REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'pp', REDIS_CLUSTER_NODES: 'r:7000' },
      'REDIS_CLUSTER_NODES',
      'REDIS_SENTINELS',
    ],
    [{ REDIS_SENTINELS: 's:26379' }, 'REDIS_SENTINEL_NAME', 'REDIS_SENTINELS'],
    [{ REDIS_SENTINEL_NAME: 'pp' }, 'REDIS_SENTINEL_NAME', 'without REDIS_SENTINELS'],
    [
      { REDIS_CLUSTER_NODES: 'r:7000', REDIS_SENTINEL_PASSWORD: 'x' },
      'REDIS_SENTINEL_PASSWORD',
      'REDIS_CLUSTER_NODES',
    ],
    [{ REDIS_CLUSTER_NODES: 'r:7000,r' }, 'REDIS_CLUSTER_NODES', 'host:port'],
    [{ REDIS_SENTINELS: 's:99999', REDIS_SENTINEL_NAME: 'pp' }, 'REDIS_SENTINELS', 'host:port'],
    [{ REDIS_URL: 'redis://:a@r:6379', REDIS_PASSWORD: 'b' }, 'REDIS_PASSWORD', 'REDIS_URL'],
    [{ REDIS_CLUSTER_NODES: 'r:7000', REDIS_TLS: 'sometimes' }, 'REDIS_TLS', 'true or false'],
  ])('refuses a conflicting or incomplete Redis setting, naming it: %j', (env, key, names) => {
    const error = errorOf(env);
    expect(error.key).toBe(key);
    expect(error.message).toContain(names);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['REDIS_URL', 'not a url'],
    ['SMS_PROVIDER', 'carrier-pigeon'],
    ['SMS_MAX_PER_SECOND', '-5'],
    ['SMS_QUIET_HOURS', '9pm-8am'],
    ['FAX_BUSINESS_HOURS', 'Funday 09:00-18:00'],
    ['FAX_MAX_PAGES', '1.5'],
    ['FAX_IN_PROGRESS_LIMIT_MINUTES', '0'],
    ['TWILIO_MANAGES_OPT_OUT', 'maybe'],
    ['PHONE_ENCRYPTION_KEY', 'too-short'],
    ['PHONE_ENCRYPTION_OLD_KEYS', `${goodKey},nope`],
    ['JOIN_KEYWORDS', 'JOIN,PRO TEST'],
    ['RETENTION_DAYS', 'forever'],
    ['SMS_PRICE_PER_SEGMENT', 'cheap'],
    ['CURRENCY', 'pounds'],
    ['BROADCAST_CONFIRM_ABOVE', 'many'],
  ])('names %s when its value %j is bad', (key, value) => {
    const error = errorOf({ [key]: value });
    expect(error.key).toBe(key);
    expect(error.message).toContain(key);
  });

  it('names the missing key when a provider needs credentials', () => {
    expect(errorOf({ FAX_PROVIDER: 'sinch' }).key).toBe('SINCH_PROJECT_ID');
    expect(errorOf({ SMS_PROVIDER: 'twilio' }).message).toMatch(/SMS_FROM.*TWILIO_MESSAGING_SERVICE_SID/);
  });

  it('refuses the example keys in production, naming each', () => {
    expect(loadConfig(production).nodeEnv).toBe('production');
    expect(errorOf({ ...production, PHONE_ENCRYPTION_KEY: DEV_PHONE_ENCRYPTION_KEY }).key).toBe(
      'PHONE_ENCRYPTION_KEY',
    );
    const { PHONE_INDEX_KEY: _unset, ...withoutIndexKey } = production;
    expect(errorOf(withoutIndexKey).key).toBe('PHONE_INDEX_KEY');
    const { TWILIO_AUTH_TOKEN: _token, ...withoutToken } = production;
    expect(errorOf(withoutToken).key).toBe('TWILIO_AUTH_TOKEN');
    expect(errorOf({ ...production, SESSION_SECRET: DEV_SESSION_SECRET }).key).toBe('SESSION_SECRET');
  });

  it('refuses in production one key used for two jobs, naming the second', () => {
    expect(errorOf({ ...production, PHONE_INDEX_KEY: goodKey })).toMatchObject({
      key: 'PHONE_INDEX_KEY',
      message: expect.stringContaining('same key as PHONE_ENCRYPTION_KEY'),
    });
    expect(errorOf({ ...production, SESSION_SECRET: production.PHONE_INDEX_KEY }).key).toBe('SESSION_SECRET');
  });

  it('refuses in production a Twilio auth token that is not 32 hexadecimal characters', () => {
    for (const token of ['x', 'a-real-token', '0123456789abcdef0123456789abcdeg', `${'a'.repeat(32)}0`]) {
      expect(errorOf({ ...production, TWILIO_AUTH_TOKEN: token }).key, token).toBe('TWILIO_AUTH_TOKEN');
    }
    expect(loadConfig({ ...production, TWILIO_AUTH_TOKEN: 'ABCDEF0123456789abcdef0123456789' }).nodeEnv).toBe(
      'production',
    );
  });

  it('refuses in production texts and faxes that go nowhere and plain http, unless ALLOW_DRY_RUN=true', () => {
    const dry = {
      SMS_PROVIDER: 'log',
      FAX_PROVIDER: 'file',
      MAIL_TRANSPORT: 'file',
      PUBLIC_BASE_URL: 'http://act.example.org',
    };
    for (const [key, value] of Object.entries(dry)) {
      expect(errorOf({ ...production, [key]: value }).key).toBe(key);
    }
    const allowed = loadConfig({ ...production, ...dry, ALLOW_DRY_RUN: 'true' });
    expect(allowed.dryRun).toEqual([
      'texts are logged, not sent (SMS_PROVIDER=log)',
      'faxes are written to var/outbox (FAX_PROVIDER=file)',
      'e-mails are written to var/outbox/mail (MAIL_TRANSPORT=file)',
      'webhooks arrive over plain http (PUBLIC_BASE_URL)',
    ]);
    expect(loadConfig(production).dryRun).toEqual([]);
    // A dry run never excuses keys shared between jobs or a token that is not one.
    expect(errorOf({ ...production, ...dry, ALLOW_DRY_RUN: 'true', TWILIO_AUTH_TOKEN: 'x' }).key).toBe(
      'TWILIO_AUTH_TOKEN',
    );
  });

  it('trusts no proxy by default, and takes a hop count or the proxies’ addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.7,loopback, fd00::/8' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.0.2.7',
      'loopback',
      'fd00::/8',
    ]);
    for (const value of ['true', 'any', '10.0.0.0/33', '10.0.0/8', '11']) {
      expect(errorOf({ TRUST_PROXY: value }).key, value).toBe('TRUST_PROXY');
    }
  });

  it('sends faxes only in business hours by default with a real provider', () => {
    const config = loadConfig({
      FAX_PROVIDER: 'sinch',
      SINCH_PROJECT_ID: 'p',
      SINCH_KEY_ID: 'k',
      SINCH_KEY_SECRET: 's',
    });
    expect(config.fax.businessHours).toEqual({ days: [1, 2, 3, 4, 5], start: 9 * 60, end: 18 * 60 });
  });

  it('writes e-mail to the outbox by default, and names the key an SMTP set-up lacks', () => {
    const local = loadConfig({ ORG_ADDRESS: '17-25 New Inn Yard\\nLondon', ORG_EMAIL: 'sct@example.org' });
    expect(local.mail).toEqual({
      transport: 'file',
      smtpUrl: null,
      from: 'sct@example.org',
      fallbackHours: 12,
    });
    expect(local.letterhead).toEqual({
      address: '17-25 New Inn Yard\nLondon',
      email: 'sct@example.org',
      phone: null,
    });
    expect(errorOf({ MAIL_TRANSPORT: 'smtp' }).key).toBe('SMTP_URL');
    expect(errorOf({ MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtp://mail.example.org:587' }).key).toBe(
      'MAIL_FROM',
    );
    expect(errorOf({ SMTP_URL: 'http://mail.example.org' }).key).toBe('SMTP_URL');
    expect(errorOf({ ORG_EMAIL: 'not an address' }).key).toBe('ORG_EMAIL');
    expect(errorOf({ FAX_EMAIL_FALLBACK_HOURS: 'soon' }).key).toBe('FAX_EMAIL_FALLBACK_HOURS');
  });
});
