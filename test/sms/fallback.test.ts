import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.js';
import { signedSmsRequest, twimlMessages } from '../../src/sms/simulator.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { UNREACHABLE_POSTGRES_URL } from '../helpers/database.js';
import { PUBLIC_BASE_URL } from '../helpers/phone.js';

/** Twilio's fallback URL spools a text without Postgres: here there is none to reach. */
let unreachable: Database;
let server: TestApp;

beforeAll(async () => {
  unreachable = createDatabase(UNREACHABLE_POSTGRES_URL);
  server = await startTestApp(unreachable, { env: { PUBLIC_BASE_URL } });
});
afterAll(async () => {
  await server.redis.del(`${server.queuePrefix}:sms-spool`);
  await server.close();
  await unreachable.close();
});

function post(path: string, signedFor: string, from = '+447700900555') {
  const { config } = server;
  const request = signedSmsRequest({
    serverUrl: '',
    publicBaseUrl: config.publicBaseUrl,
    authToken: config.twilio.authToken,
    accountSid: config.twilio.accountSid,
    from,
    body: 'OUTAGE Jane Doe',
    path: signedFor,
  });
  return server.app.inject({ method: 'POST', url: path, headers: request.headers, payload: request.body });
}

describe('POST /webhooks/twilio/sms-fallback', () => {
  it('spools a signed text and answers an empty TwiML, the stream holding it sealed', async () => {
    const response = await post('/webhooks/twilio/sms-fallback', '/webhooks/twilio/sms-fallback');
    expect(response.statusCode).toBe(200);
    expect(twimlMessages(response.body)).toEqual([]);
    const entries = await server.redis.xrange(`${server.queuePrefix}:sms-spool`, '-', '+');
    expect(entries).toHaveLength(1);
    expect(JSON.stringify(entries)).not.toContain('7700900555');
    expect((await server.app.inject('/metrics')).body).toContain('pp_sms_spooled_total{store="redis"} 1');
  });

  it('checks the signature against its own URL: one made for the primary URL is refused', async () => {
    const response = await post('/webhooks/twilio/sms-fallback', '/webhooks/twilio/sms', '+447700900556');
    expect(response.statusCode).toBe(403);
    expect(await server.redis.xlen(`${server.queuePrefix}:sms-spool`)).toBe(1);
  });

  it('the primary URL spools too when Postgres cannot be reached', async () => {
    const response = await post('/webhooks/twilio/sms', '/webhooks/twilio/sms', '+447700900557');
    expect(response.statusCode).toBe(200);
    expect(twimlMessages(response.body)).toEqual([]);
    expect(await server.redis.xlen(`${server.queuePrefix}:sms-spool`)).toBe(2);
  });
});
