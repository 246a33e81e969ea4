import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, consoleStaff, csrfOf, PASSWORD } from '../console/session.js';
import { staffToken } from '../helpers/api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase, UNREACHABLE_REDIS_URL } from '../helpers/database.js';

let database: TestDatabase;
let viewer: { token: string };
const apps: TestApp[] = [];

/** Two web processes of one install: separate apps, each with its own services, sharing Redis. */
async function twoProcesses(env: Record<string, string> = {}): Promise<[TestApp, TestApp]> {
  const shared = { QUEUE_PREFIX: `{pp_test_${randomBytes(4).toString('hex')}}`, ...env };
  const pair: [TestApp, TestApp] = [
    await startTestApp(database, { env: shared }),
    await startTestApp(database, { env: shared }),
  ];
  apps.push(...pair);
  return pair;
}

function me(app: TestApp, token: string, from: { remoteAddress: string; forwardedFor?: string }) {
  return app.app.inject({
    method: 'GET',
    url: '/api/v1/me',
    remoteAddress: from.remoteAddress,
    headers: {
      authorization: `Bearer ${token}`,
      ...(from.forwardedFor ? { 'x-forwarded-for': from.forwardedFor } : {}),
    },
  });
}

const randomAddress = () => `198.18.${randomBytes(1)[0]}.${((randomBytes(1)[0] ?? 0) % 250) + 1}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  database = await createTestDatabase();
  viewer = await staffToken(database, 'viewer');
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await database.drop();
});

describe('failed API tokens, counted across processes', () => {
  it('make an address wait in both processes, however it rotates X-Forwarded-For, and never the address it names', async () => {
    const [one, two] = await twoProcesses({ API_FAILED_TOKENS_PER_15_MINUTES: '4' });
    const attacker = '203.0.113.5';
    const victim = '203.0.113.77';
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const app = i % 2 === 0 ? one : two;
      const forwardedFor = i === 4 ? victim : randomAddress();
      codes.push((await me(app, `pp_guess${i}`, { remoteAddress: attacker, forwardedFor })).statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 401, 429]);
    // Even the right token waits, in the other process too.
    expect((await me(one, viewer.token, { remoteAddress: attacker })).statusCode).toBe(429);
    const waiting = await me(two, viewer.token, { remoteAddress: attacker, forwardedFor: randomAddress() });
    expect(waiting.statusCode).toBe(429);
    expect(waiting.json().error.code).toBe('too_many_failures');
    expect(Number(waiting.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The address the attacker named in the header is not theirs to spend.
    expect((await me(one, viewer.token, { remoteAddress: victim })).statusCode).toBe(200);
    expect((await me(two, viewer.token, { remoteAddress: victim })).statusCode).toBe(200);
  });

  it('believe X-Forwarded-For only from a trusted proxy, and only the hop it appended', async () => {
    const proxy = '10.0.0.2';
    for (const TRUST_PROXY of ['1', '10.0.0.0/8']) {
      const [one, two] = await twoProcesses({ API_FAILED_TOKENS_PER_15_MINUTES: '2', TRUST_PROXY });
      const client = '203.0.113.9';
      // The client writes anything it likes first; the balancer appends the address it saw.
      const through = (app: TestApp, token: string, seen: string) =>
        me(app, token, { remoteAddress: proxy, forwardedFor: `${randomAddress()}, ${seen}` });
      expect((await through(one, 'pp_wrong1', client)).statusCode).toBe(401);
      expect((await through(two, 'pp_wrong2', client)).statusCode).toBe(401);
      expect((await through(one, viewer.token, client)).statusCode, TRUST_PROXY).toBe(429);
      // Another client behind the same balancer is not held up.
      expect((await through(two, viewer.token, '203.0.113.10')).statusCode, TRUST_PROXY).toBe(200);
      // With named proxies, a client reaching the port directly is itself, whatever it claims.
      if (TRUST_PROXY === '10.0.0.0/8') {
        const direct = { remoteAddress: '203.0.113.30' };
        for (let i = 0; i < 2; i++) {
          await me(one, `pp_wrong${i}`, { ...direct, forwardedFor: randomAddress() });
        }
        expect((await me(two, viewer.token, { ...direct, forwardedFor: randomAddress() })).statusCode).toBe(
          429,
        );
      }
    }
  });

  it('are still counted, in the process, while Redis is down', async () => {
    const down = await startTestApp(database, {
      env: { REDIS_URL: UNREACHABLE_REDIS_URL, API_FAILED_TOKENS_PER_15_MINUTES: '2' },
    });
    apps.push(down);
    const from = { remoteAddress: '203.0.113.40' };
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await me(down, `pp_wrong${i}`, from)).statusCode);
    expect(codes).toEqual([401, 401, 429]);
    expect((await me(down, viewer.token, { remoteAddress: '203.0.113.41' })).statusCode).toBe(200);
  });
});

describe('failed console sign-ins for one account', () => {
  it('make it wait 1 s, then 2 s, from any address and either process, and then let the right password in', async () => {
    const [one, two] = await twoProcesses();
    const { email } = await consoleStaff(database, 'campaigner');
    /** A browser somewhere, its sign-in form already loaded, so that posting it is all that is timed. */
    async function browser(app: TestApp) {
      const client = new ConsoleClient(app.app, randomAddress());
      const csrf = csrfOf((await client.get('/console/login')).body);
      return (password: string) => client.post('/console/login', { _csrf: csrf, email, password });
    }
    for (let i = 0; i < 4; i++)
      expect((await (await browser(i % 2 ? one : two))(`guess ${i}`)).statusCode).toBe(401);
    const [fifth, right] = [await browser(two), await browser(one)];
    expect((await fifth('guess 4')).statusCode).toBe(401);
    const first = await right(PASSWORD);
    expect(first.statusCode).toBe(429);
    expect(first.body).toContain('try again in 1 second.');

    await sleep(1_100);
    const [sixth, rightAgain] = [await browser(one), await browser(two)];
    expect((await sixth('guess 5')).statusCode).toBe(401);
    const second = await rightAgain(PASSWORD);
    expect(second.statusCode).toBe(429);
    expect(second.headers['retry-after']).toBe('2');

    await sleep(2_100);
    expect((await (await browser(one))(PASSWORD)).statusCode).toBe(303);
  });
});
