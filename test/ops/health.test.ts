import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { startTestApp } from '../helpers/app.js';
import {
  createTestDatabase,
  type TestDatabase,
  UNREACHABLE_POSTGRES_URL,
  UNREACHABLE_REDIS_URL,
} from '../helpers/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('health', () => {
  it('is ready with Postgres and Redis up', async () => {
    const { app, close } = await startTestApp(database);
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: { db: 'up', redis: 'up', spool: 'idle' } });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    await close();
  });

  it('stays ready, reporting Redis down, when nothing listens at REDIS_URL', async () => {
    const { app, close } = await startTestApp(database, { env: { REDIS_URL: UNREACHABLE_REDIS_URL } });
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'degraded',
      checks: { db: 'up', redis: 'down', spool: 'idle' },
    });
    await close();
  });

  it('stays ready (degraded) while Postgres is unreachable, saying the spool is in use', async () => {
    const unreachable = createDatabase(UNREACHABLE_POSTGRES_URL);
    const { app, close } = await startTestApp(unreachable);
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'degraded',
      checks: { db: 'down', redis: 'up', spool: 'in use' },
    });
    await close();
    await unreachable.close();
  });

  it('is unready (503) when a text could be neither recorded nor spooled', async () => {
    const unreachable = createDatabase(UNREACHABLE_POSTGRES_URL);
    const { app, close } = await startTestApp(unreachable, {
      // No Redis, and a spool directory that cannot be made.
      env: { REDIS_URL: UNREACHABLE_REDIS_URL, SPOOL_DIR: '/proc/pp-spool' },
    });
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      status: 'unready',
      checks: { db: 'down', redis: 'down', spool: 'unavailable' },
    });
    await close();
    await unreachable.close();
  });

  it('serves Prometheus metrics', async () => {
    const { app, close } = await startTestApp(database);
    const response = await app.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('pp_process_cpu_user_seconds_total');
    await close();
  });

  it('answers unknown routes in the one error shape', async () => {
    const { app, close } = await startTestApp(database);
    const response = await app.inject('/nowhere');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /nowhere' } });
    await close();
  });
});
