import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supporters } from '../src/db/schema.js';
import { handleError } from '../src/errors.js';
import { createLogger, scrubErrorText } from '../src/logger.js';
import { redisNotReady } from '../src/queue/connection.js';
import { CapturedLogs, startTestApp } from './helpers/app.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('error log lines', () => {
  it('carry the Postgres error code and table, not the row, the parameters or the name', async () => {
    const logs = new CapturedLogs();
    const app = Fastify({ loggerInstance: createLogger('info', logs) });
    app.setErrorHandler(handleError);
    // A real failing statement: drizzle's message lists its parameters, Postgres's detail the row.
    app.post('/fails', async () =>
      database.db
        .insert(supporters)
        .values({ name: 'Zenobia Quartermaine', optedIn: null as unknown as boolean }),
    );
    const response = await app.inject({
      method: 'POST',
      url: '/fails?name=Zenobia+Quartermaine&token=s3cret',
    });
    expect(response.statusCode).toBe(500);
    await app.close();

    const line = logs.lines.find((l) => l.includes('"level":50'));
    expect(line).toBeDefined();
    const logged = JSON.parse(line as string);
    expect(logged.err.cause).toMatchObject({ code: '23502', table: 'supporters', column: 'opted_in' });
    expect(logged.err.message).toContain('insert into "supporters"');
    const text = logs.text();
    expect(text).not.toContain('Quartermaine');
    expect(text).not.toContain('Failing row');
    expect(text).not.toContain('params');
    expect(text).not.toContain('s3cret');
  });

  it('scrub values Postgres quotes, callback tokens and numbers from any message', () => {
    expect(scrubErrorText('invalid input syntax for type bigint: "Zenobia"')).toBe(
      'invalid input syntax for type bigint: "[value]"',
    );
    expect(scrubErrorText('relation "staff" does not exist')).toBe('relation "staff" does not exist');
    expect(scrubErrorText('fetch https://x.example/webhooks/fax/sinch?token=abc-123&x=1 failed')).toBe(
      'fetch https://x.example/webhooks/fax/sinch?token=[redacted]&x=1 failed',
    );
    expect(scrubErrorText('no route to +447700900123')).toBe('no route to [number]');
    expect(scrubErrorText('Failed query: select 1\nparams: Zenobia,+447700900123')).toBe(
      'Failed query: select 1',
    );
  });
});

describe('request log lines', () => {
  it('carry the route pattern and the status, not the URL with its query', async () => {
    const logs = new CapturedLogs();
    const app = Fastify({ loggerInstance: createLogger('info', logs) });
    app.get('/things/:id', async () => ({ ok: true }));
    await app.inject('/things/42?search=Zenobia%20Quartermaine&token=s3cret');
    await app.close();
    const [incoming, completed] = logs.lines.map((line) => JSON.parse(line));
    expect(incoming.req).toMatchObject({ method: 'GET', route: '/things/:id' });
    expect(completed.res).toEqual({ statusCode: 200, route: '/things/:id' });
    expect(logs.text()).not.toContain('Zenobia');
    expect(logs.text()).not.toContain('s3cret');
    expect(logs.text()).not.toContain('/things/42');
  });
});

describe('the log of a running app', () => {
  it('leaves out health checks, scrapes and console assets that succeed, and keeps the rest', async () => {
    const { app, logs, close } = await startTestApp(database, { databaseUrl: database.url });
    const quiet = [
      '/healthz',
      '/readyz',
      '/metrics',
      '/console/assets/console.css',
      '/console/assets/console.js',
    ];
    for (let round = 0; round < 3; round++) {
      for (const url of quiet) expect((await app.inject(url)).statusCode, url).toBe(200);
    }
    await app.inject('/console/login');
    await close();
    const requests = logs.lines.map((line) => JSON.parse(line)).filter((entry) => entry.req || entry.res);
    const routes = requests.map((entry) => (entry.req ?? entry.res).route);
    // A page a person asked for is there, once in and once answered; the machines' requests are not.
    expect(routes).toEqual(['/console/login', '/console/login']);
  });

  it('says why Redis is not ready in words, never a state name cut into the sentence', () => {
    expect(redisNotReady('connect')).toBe('Redis is connected but not ready yet');
    expect(redisNotReady('reconnecting')).toBe('Redis is reconnecting');
    expect(redisNotReady('end')).toBe('Redis is disconnected');
    expect(redisNotReady('wait')).toBe('Redis is not connected yet');
  });
});

describe('development logs', () => {
  it('are one readable line per entry, through the same redaction', () => {
    const logs = new CapturedLogs();
    const logger = createLogger('info', logs, { pretty: true });
    logger.info({ queue: 'sms-send', supporter: { phone: '+447700900123' } }, 'worker started');
    const [line, ...rest] = logs.lines;
    expect(rest).toEqual([]);
    expect(line).toMatch(/^\[\d{2}:\d{2}:\d{2}\] INFO: worker started \{.*"queue":"sms-send".*\}$/);
    expect(line).toContain('"phone":"[redacted]"');
    expect(line).not.toContain('+447700900123');
    expect(() => JSON.parse(line as string)).toThrow();
  });
});
