import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createLogSender, createSmsSender, SmsSendError } from '../../src/sms/sender.js';
import { type FakeTwilio, startFakeTwilio } from '../fakes/twilio.js';
import { CapturedLogs } from '../helpers/app.js';

const ACCOUNT_SID = 'AC11111111111111111111111111111111';
const AUTH_TOKEN = 'sender-test-auth-token';
let fake: FakeTwilio;

function sender(env: Record<string, string> = {}) {
  return createSmsSender(
    loadConfig({
      NODE_ENV: 'test',
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_API_BASE_URL: fake.url,
      PUBLIC_BASE_URL: 'https://pocketprotest.example.org',
      SMS_FROM: '70505',
      ...env,
    }),
  );
}

beforeAll(async () => {
  fake = await startFakeTwilio(ACCOUNT_SID, AUTH_TOKEN);
});
afterAll(() => fake.close());

describe('the Twilio sender', () => {
  it('sends through the twilio package to TWILIO_API_BASE_URL with the status callback', async () => {
    const sent = await sender().send({ to: '+447700900001', body: 'Hello ✊' });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');
    expect(fake.messages.at(-1)).toMatchObject({
      sid: sent.sid,
      to: '+447700900001',
      body: 'Hello ✊',
      from: '70505',
      messagingServiceSid: null,
      statusCallback: 'https://pocketprotest.example.org/webhooks/twilio/status',
    });
  });

  it('sends from the Messaging Service when one is configured', async () => {
    const sent = await sender({ TWILIO_MESSAGING_SERVICE_SID: 'MG22222222222222222222222222222222' }).send({
      to: '+447700900002',
      body: 'Hi',
    });
    // Accepted: Twilio picks the sender from the service's pool when the text leaves its queue.
    expect(sent.status).toBe('accepted');
    expect(fake.messages.at(-1)).toMatchObject({ messagingServiceSid: 'MG22222222222222222222222222222222' });
    expect(fake.exchanges.at(-1)?.params.get('From')).toBeNull();
  });

  it('reports throttling and server errors as worth retrying, without the number', async () => {
    for (const status of [429, 500, 503]) {
      fake.failNext(1, status);
      const error = await sender()
        .send({ to: '+447700900003', body: 'Hi' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SmsSendError);
      expect(error).toMatchObject({ httpStatus: status, retryable: true });
      expect((error as Error).message).not.toContain('900003');
    }
  });

  it('reports an unsubscribed recipient as error 21610, not to be retried', async () => {
    fake.unsubscribed.add('+447700900004');
    const error = await sender()
      .send({ to: '+447700900004', body: 'Hi' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ httpStatus: 400, code: 21610, retryable: false });
  });

  it('reports wrong credentials as a permanent failure', async () => {
    const error = await sender({ TWILIO_AUTH_TOKEN: 'wrong' })
      .send({ to: '+447700900005', body: 'Hi' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ httpStatus: 401, retryable: false });
  });

  it('reports an unreachable Twilio as worth retrying', async () => {
    const error = await createSmsSender(
      loadConfig({
        NODE_ENV: 'test',
        SMS_PROVIDER: 'twilio',
        TWILIO_API_BASE_URL: 'http://127.0.0.1:1',
        SMS_FROM: '70505',
      }),
    )
      .send({ to: '+447700900006', body: 'Hi' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ httpStatus: null, retryable: true });
  });
});

describe('the log sender', () => {
  it('sends nothing and logs no number', async () => {
    const before = fake.requests.length;
    const logs = new CapturedLogs();
    const sent = await createLogSender(createLogger('info', logs)).send({ to: '+447700900007', body: 'Hi' });
    expect(sent.sid).toMatch(/^LOG/);
    expect(fake.requests.length).toBe(before);
    expect(logs.text()).toContain(sent.sid);
    expect(logs.text()).not.toMatch(/7700900007|\+44 77/);
  });
});
