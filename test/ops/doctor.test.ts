import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheFinding, type Finding, report, runDoctor } from '../../src/doctor.js';
import { type FakeSinch, startFakeSinch } from '../fakes/sinch.js';
import { type FakeSmtp, startFakeSmtp } from '../fakes/smtp.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import {
  createTestDatabase,
  POSTGRES_URL,
  REDIS_URL,
  UNREACHABLE_POSTGRES_URL,
  UNREACHABLE_REDIS_URL,
  uniqueDatabaseUrl,
} from '../helpers/database.js';

const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const key = () => randomBytes(32).toString('base64');

let twilio: FakeTwilio;
let sinch: FakeSinch;
let smtp: FakeSmtp;
/** Stands for a running Pocket Protest at PUBLIC_BASE_URL: answers /healthz as it does. */
let site: Server;
let siteUrl: string;

beforeAll(async () => {
  twilio = await startFakeTwilio(ACCOUNT_SID, AUTH_TOKEN);
  sinch = await startFakeSinch({ dir: mkdtempSync(join(tmpdir(), 'pp-doctor-')) });
  smtp = await startFakeSmtp();
  site = createServer((request, response) => {
    const ok = request.url === '/healthz';
    response.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(ok ? { status: 'ok' } : { error: { code: 'not_found', message: '' } }));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all([twilio.close(), sinch.close(), smtp.close()]);
  await new Promise((resolve) => site.close(resolve));
});

/** A production configuration with every provider pointed at its fake. */
function goodEnv(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: uniqueDatabaseUrl(),
    REDIS_URL,
    PUBLIC_BASE_URL: siteUrl,
    ALLOW_DRY_RUN: 'true', // only for the http: public URL of the test
    SMS_PROVIDER: 'twilio',
    SMS_FROM: '70505',
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE_URL: twilio.url,
    FAX_PROVIDER: 'sinch',
    ...sinch.env(),
    ...smtp.env(),
    MAIL_FROM: 'actions@example.org',
    PHONE_ENCRYPTION_KEY: key(),
    PHONE_INDEX_KEY: key(),
    SESSION_SECRET: key(),
  };
}

const failures = (findings: Finding[]) => findings.filter((f) => f.verdict === 'fail');

describe('npm run doctor', () => {
  it('passes a good production configuration, having asked each provider', async () => {
    const findings = await runDoctor(goodEnv(), { timeoutMs: 3_000 });
    expect(failures(findings)).toEqual([]);
    expect(findings.map((f) => f.subject)).toEqual(
      expect.arrayContaining(['Postgres', 'Redis', 'keys', 'Twilio', 'Sinch', 'SMTP', 'public URL']),
    );
    expect(findings.find((f) => f.subject === 'Postgres')?.detail).toContain('created at the first start');
    // Twilio was really asked, with our credentials.
    expect(twilio.listRequests.length).toBeGreaterThan(0);
    expect(report(findings)).toContain('No problems found.');
    // Without ORG_ADDRESS, ORG_EMAIL and ORG_PHONE the authorities could not reply: a warning naming them.
    expect(findings.find((f) => f.subject === 'letterhead')).toEqual({
      verdict: 'warn',
      subject: 'letterhead',
      detail: expect.stringContaining('ORG_ADDRESS, ORG_EMAIL and ORG_PHONE are not set'),
    });
    const whole = await runDoctor(
      {
        ...goodEnv(),
        ORG_ADDRESS: '1 Easton Street\\nLondon',
        ORG_EMAIL: 'sct@example.org',
        ORG_PHONE: '+44 20 7033 1500',
      },
      { timeoutMs: 3_000 },
    );
    expect(whole.map((f) => f.subject)).not.toContain('letterhead');
  });

  it('warns of a line of .env that names no setting, with the setting it probably meant', async () => {
    const findings = await runDoctor(goodEnv(), {
      timeoutMs: 3_000,
      dotEnv: { SMS_QUIET_HOUR: 'off', PORT: '3000', WHATEVER_ELSE_ENTIRELY: '1' },
    });
    const dotEnv = findings.filter((f) => f.subject === '.env');
    expect(dotEnv).toEqual([
      expect.objectContaining({
        verdict: 'warn',
        detail: expect.stringContaining('SMS_QUIET_HOUR is not a setting'),
      }),
      expect.objectContaining({ verdict: 'warn', detail: expect.stringContaining('WHATEVER_ELSE_ENTIRELY') }),
    ]);
    expect(dotEnv[0]?.detail).toContain('did you mean SMS_QUIET_HOURS?');
    expect(dotEnv[1]?.detail).not.toContain('did you mean');
  });

  it('names each thing to fix in a bad configuration', async () => {
    const shared = key();
    const findings = await runDoctor(
      {
        ...goodEnv(),
        NODE_ENV: 'development',
        DATABASE_URL: `${UNREACHABLE_POSTGRES_URL.replace('postgres@', 'postgres:s3cret@')}`,
        REDIS_URL: UNREACHABLE_REDIS_URL,
        PUBLIC_BASE_URL: 'http://127.0.0.1:1',
        TWILIO_AUTH_TOKEN: 'f'.repeat(32),
        SINCH_PROJECT_ID: 'someone-else',
        PHONE_INDEX_KEY: shared,
        SESSION_SECRET: shared,
      },
      { timeoutMs: 3_000 },
    );
    const failed = Object.fromEntries(failures(findings).map((f) => [f.subject, f.detail]));
    expect(Object.keys(failed).sort()).toEqual([
      'Postgres',
      'Redis',
      'Sinch',
      'Twilio',
      'keys',
      'public URL',
    ]);
    expect(failed.Postgres).toContain('postgres://postgres:***@127.0.0.1:1/pocketprotest (DATABASE_URL)');
    expect(failed.Postgres).not.toContain('s3cret');
    expect(failed.Redis).toContain('redis://127.0.0.1:1 (REDIS_URL)');
    expect(failed.Twilio).toContain('refused TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (401)');
    expect(failed.Sinch).toContain('SINCH_PROJECT_ID "someone-else"');
    expect(failed.keys).toContain('SESSION_SECRET is the same key as PHONE_INDEX_KEY');
    expect(failed['public URL']).toContain('http://127.0.0.1:1 (PUBLIC_BASE_URL)');
    expect(report(findings)).toContain('6 problems');
  });

  it('names a variable that does not read, and exits 1 (the command itself)', async () => {
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        'node_modules/.bin/tsx',
        ['src/doctor.ts'],
        { env: { ...process.env, PORT: 'eighty', DATABASE_URL: `${POSTGRES_URL}/x` } },
        (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+PORT\s+must be a whole number from 0 to 65535 \(got "eighty"\)/);
  });

  it('reports every problem of a production .env.example in one run, each with its fix', async () => {
    const example = parseEnv(readFileSync('.env.example', 'utf8'));
    const local = { DATABASE_URL: uniqueDatabaseUrl(), REDIS_URL };
    const findings = await runDoctor({ ...example, ...local, NODE_ENV: 'production' }, { timeoutMs: 3_000 });
    const failed = Object.fromEntries(failures(findings).map((f) => [f.subject, f.detail]));
    expect(Object.keys(failed).sort()).toEqual([
      'FAX_PROVIDER',
      'MAIL_TRANSPORT',
      'PHONE_ENCRYPTION_KEY',
      'PHONE_INDEX_KEY',
      'PUBLIC_BASE_URL',
      'SESSION_SECRET',
      'SMS_PROVIDER',
      'TWILIO_AUTH_TOKEN',
    ]);
    for (const name of ['PHONE_ENCRYPTION_KEY', 'PHONE_INDEX_KEY', 'SESSION_SECRET']) {
      expect(failed[name]).toContain('make one with: openssl rand -base64 32');
    }
    expect(failed.TWILIO_AUTH_TOKEN).toContain('Twilio console');
    // A provider's fix names what it needs in turn, so the next run does not find those one by one.
    expect(failed.SMS_PROVIDER).toContain(
      'twilio, with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_MESSAGING_SERVICE_SID',
    );
    expect(failed.FAX_PROVIDER).toContain('sinch, with SINCH_PROJECT_ID, SINCH_KEY_ID and SINCH_KEY_SECRET');
    expect(failed.MAIL_TRANSPORT).toContain('smtp, with SMTP_URL and MAIL_FROM');
    expect(failed.PUBLIC_BASE_URL).toContain('https://');
    // The connections are checked in the same run.
    expect(findings.find((f) => f.subject === 'Postgres')?.verdict).toBe('ok');
    expect(report(findings)).toContain('8 problems');

    // Doing what they say is all it takes: the next run finds nothing.
    const fixed = await runDoctor({ ...example, ...goodEnv() }, { timeoutMs: 3_000 });
    expect(failures(fixed)).toEqual([]);
  });

  it("says whether Postgres's cache holds the members' table, and what to raise when it does not", async () => {
    const database = await createTestDatabase();
    try {
      await database.pool.query(
        "INSERT INTO supporters (phone_index, name) SELECT 'index-' || n, 'Zoë Ælfwine' FROM generate_series(1, 2000) n",
      );
      const findings = await runDoctor({ ...goodEnv(), DATABASE_URL: database.url }, { timeoutMs: 3_000 });
      expect(findings.find((f) => f.subject === 'Postgres cache')).toEqual({
        verdict: 'ok',
        subject: 'Postgres cache',
        detail: expect.stringMatching(
          /^shared_buffers \d+ MB, members' table and indexes (\d+|under 1) MB: the network fits$/,
        ),
      });
    } finally {
      await database.drop();
    }
    // A million members (430 MB) on a server left at Postgres's default of 128 MB.
    const mb = 1024 * 1024;
    expect(cacheFinding({ sharedBuffers: 128 * mb, network: 430 * mb })).toEqual({
      verdict: 'warn',
      subject: 'Postgres cache',
      detail:
        "shared_buffers 128 MB, members' table and indexes 430 MB: texts from members read and write " +
        'outside the cache, slower in a flood; raise shared_buffers above the network (about 430 MB for a million members)',
    });
  });
});
