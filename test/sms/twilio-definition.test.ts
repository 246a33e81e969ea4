import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createSmsSender } from '../../src/sms/sender.js';
import { type Exchange, type FakeTwilio, rfc2822, startFakeTwilio } from '../fakes/twilio.js';
import {
  CREATE_PARAMETERS,
  CREATE_REQUIRED,
  LIST_PARAMETERS,
  MESSAGE_STATUSES,
  parameterProblems,
  SCHEMAS,
  schemaProblems,
  TWILIO_DEFINITION_SOURCE,
} from '../fakes/twilio-definition.js';

// The fake Twilio and the product's Twilio adapter, both held to Twilio's own definition of the
// Message resource (test/fixtures/providers/twilio, cut from twilio/twilio-oai's api_v2010): every
// request the adapter makes must be one the definition lists, and every answer the fake gives one
// Twilio could give. A fake that answers what Twilio never would fails here (and at its close()).
const ACCOUNT_SID = 'ACabcdef0123456789abcdef0123456789';
const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
const MESSAGING_SERVICE = 'MGabcdef0123456789abcdef0123456789';
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

/** Twilio's answer to a raw request: an error, a message or a page. */
interface Answer {
  [field: string]: unknown;
  more_info?: string;
  messages: Array<{ body: string; date_sent: string | null }>;
  next_page_uri: string | null;
}

/** A raw request to the fake, as another client than ours would make it. */
async function raw(method: 'GET' | 'POST', query: string, form?: Record<string, string>, auth = true) {
  const response = await fetch(`${fake.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json${query}`, {
    method,
    headers: {
      ...(auth
        ? { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` }
        : {}),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

/** What is wrong with one exchange, held to the definition: the request's parameters, the answer. */
function exchangeProblems(exchange: Exchange): string[] {
  const request =
    exchange.method === 'POST'
      ? parameterProblems(CREATE_PARAMETERS, CREATE_REQUIRED, exchange.params)
      : parameterProblems(LIST_PARAMETERS, [], exchange.params);
  const schema =
    exchange.status === 201 ? SCHEMAS.created : exchange.status === 200 ? SCHEMAS.list : SCHEMAS.error;
  return [...request, ...schemaProblems(schema, exchange.answer)].map(
    (p) => `${exchange.method} ${exchange.status}: ${p}`,
  );
}

beforeAll(async () => {
  fake = await startFakeTwilio(ACCOUNT_SID, AUTH_TOKEN);
});
afterAll(() => fake.close());

describe('Twilio’s definition, as kept', () => {
  it('names its source, commit and version, and lists the statuses the product relies on', () => {
    expect(TWILIO_DEFINITION_SOURCE).toMatchObject({
      repository: 'https://github.com/twilio/twilio-oai',
      path: 'spec/json/twilio_api_v2010.json',
      infoVersion: expect.any(String),
    });
    expect(TWILIO_DEFINITION_SOURCE.commit).toMatch(/^[0-9a-f]{40}$/);
    for (const status of ['accepted', 'queued', 'sent', 'delivered', 'undelivered', 'failed']) {
      expect(MESSAGE_STATUSES).toContain(status);
    }
    // No idempotency key: a create cannot be made safe to repeat, hence the look-up.
    expect(Object.keys(CREATE_PARAMETERS).filter((name) => /idempot/i.test(name))).toEqual([]);
    expect(Object.keys(LIST_PARAMETERS).sort()).toEqual(
      ['DateSent', 'DateSent<', 'DateSent>', 'From', 'Page', 'PageSize', 'PageToken', 'To'].sort(),
    );
  });
});

describe('every request of the product’s Twilio adapter, and every answer of the fake', () => {
  it('fit Twilio’s definition, through sends, refusals, failures and a look-up over pages', async () => {
    const from = sender();
    const service = sender({ TWILIO_MESSAGING_SERVICE_SID: MESSAGING_SERVICE });
    const sent = await from.send({ to: '+447700900101', body: 'From a number' });
    await service.send({ to: '+447700900101', body: 'From a service ✊' });
    fake.unsubscribed.add('+447700900102');
    await expect(from.send({ to: '+447700900102', body: 'Hi' })).rejects.toMatchObject({ code: 21610 });
    await expect(
      sender({ TWILIO_AUTH_TOKEN: 'f'.repeat(32) }).send({ to: '+447700900103', body: 'Hi' }),
    ).rejects.toMatchObject({
      httpStatus: 401,
    });
    for (const status of [429, 500, 503]) {
      fake.failNext(1, status);
      await expect(from.send({ to: '+447700900104', body: 'Hi' })).rejects.toMatchObject({
        httpStatus: status,
      });
    }
    const since = new Date(Date.now() - 1_000);
    for (let i = 0; i < 60; i++) await service.send({ to: '+447700900105', body: `Text ${i}` });
    // The first of 61 texts to this number: on the second page, newest first.
    expect(await service.findSent({ to: '+447700900101', body: 'From a number' }, since)).toMatchObject({
      sid: sent.sid,
    });
    await service.send({ to: '+447700900105', body: 'Look me up' });
    expect(await service.findSent({ to: '+447700900105', body: 'Text 0' }, since)).not.toBeNull();
    expect(await service.findSent({ to: '+447700900105', body: 'Never sent' }, since)).toBeNull();
    fake.failNext(1, 503);
    await expect(service.findSent({ to: '+447700900105', body: 'Text 1' }, since)).rejects.toMatchObject({
      retryable: true,
    });

    const statuses = new Set(fake.exchanges.map((e) => `${e.method} ${e.status}`));
    expect([...statuses].sort()).toEqual(
      ['GET 200', 'GET 503', 'POST 201', 'POST 400', 'POST 401', 'POST 429', 'POST 500', 'POST 503'].sort(),
    );
    expect(
      fake.exchanges.filter((e) => e.method === 'GET' && new URLSearchParams(e.params).has('PageToken'))
        .length,
    ).toBeGreaterThan(0);
    expect(fake.exchanges.flatMap(exchangeProblems)).toEqual([]);
    expect(fake.problems).toEqual([]);
  });
});

describe('the checks can fail', () => {
  const message = {
    account_sid: ACCOUNT_SID,
    api_version: '2010-04-01',
    body: 'Hi',
    date_created: rfc2822(Date.UTC(2026, 0, 2, 3, 4, 5)),
    date_sent: null,
    date_updated: rfc2822(Date.UTC(2026, 0, 2, 3, 4, 5)),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: null,
    messaging_service_sid: MESSAGING_SERVICE,
    num_media: '0',
    num_segments: '0',
    price: null,
    price_unit: 'USD',
    sid: `SM${'a'.repeat(32)}`,
    status: 'accepted',
    subresource_uris: { media: '/2010-04-01/Accounts/AC/Messages/SM/Media.json' },
    to: '+447700900101',
    uri: '/2010-04-01/Accounts/AC/Messages/SM.json',
  };

  it('writes dates as Twilio does', () => {
    expect(message.date_created).toBe('Fri, 02 Jan 2026 03:04:05 +0000');
    expect(schemaProblems(SCHEMAS.created, message)).toEqual([]);
  });

  it.each([
    ['an ISO date', { date_created: '2026-01-02T03:04:05Z' }, /RFC 2822/],
    ['a status Twilio does not have', { status: 'pending' }, /enum/],
    ['a field Twilio does not send', { price_currency: 'USD' }, /not in Twilio's definition/],
    ['a number of segments as a number', { num_segments: 1 }, /not a string/],
    ['a sid of another shape', { sid: 'SM123' }, /too short|does not match/],
  ])('refuses an answer with %s', (_, change, problem) => {
    expect(schemaProblems(SCHEMAS.created, { ...message, ...change }).join('\n')).toMatch(problem);
  });

  it.each([
    [
      'a misspelt parameter',
      { To: '+447700900101', Body: 'Hi', Statuscallback: 'https://x.example/s' },
      /Statuscallback/,
    ],
    ['no To', { Body: 'Hi', From: '70505' }, /To: is required/],
    ['a validity period that is not a number', { To: '+447700900101', ValidityPeriod: 'soon' }, /integer/],
  ])('refuses a create with %s', (_, form, problem) => {
    expect(
      parameterProblems(CREATE_PARAMETERS, CREATE_REQUIRED, new URLSearchParams(form)).join('\n'),
    ).toMatch(problem);
  });

  it.each([
    ['a filter Twilio does not have', 'DateSentAfter=2026-01-01', /DateSentAfter/],
    ['a page too large', 'PageSize=2000', /above 1000/],
  ])('refuses a list with %s', (_, query, problem) => {
    expect(parameterProblems(LIST_PARAMETERS, [], new URLSearchParams(query)).join('\n')).toMatch(problem);
  });
});

describe('the fake refuses and answers as Twilio does', () => {
  it('refuses with Twilio’s codes and error shape', async () => {
    const cases: Array<[Awaited<ReturnType<typeof raw>>, number, number]> = [
      [await raw('POST', '', { To: '+447700900110', Body: 'Hi', From: '70505' }, false), 401, 20003],
      [
        await raw('POST', '', {
          To: '+447700900110',
          Body: 'Hi',
          From: '70505',
          Statuscallback: 'https://x.example/',
        }),
        400,
        20001,
      ],
      [await raw('POST', '', { Body: 'Hi', From: '70505' }), 400, 21604],
      [await raw('POST', '', { To: '+447700900110', From: '70505' }), 400, 21602],
      [await raw('POST', '', { To: '+447700900110', Body: 'Hi' }), 400, 21603],
      [await raw('POST', '', { To: '+447700900110', Body: 'x'.repeat(1601), From: '70505' }), 400, 21617],
      [await raw('GET', '?DateSentAfter=2026-01-01'), 400, 20001],
    ];
    for (const [answer, status, code] of cases) {
      expect(answer).toMatchObject({ status, body: { code, status, message: expect.any(String) } });
      expect(answer.body.more_info).toBe(`https://www.twilio.com/docs/errors/${code}`);
    }
  });

  it('holds a message unsent in its queue, then sends it; DateSent filters list only sent messages', async () => {
    fake.throughput = 0;
    const to = '+447700900120';
    const created = await raw('POST', '', { To: to, Body: 'Held', MessagingServiceSid: MESSAGING_SERVICE });
    expect(created.body).toMatchObject({ status: 'accepted', date_sent: null, num_segments: '0' });
    const today = new Date().toISOString().slice(0, 10);
    const listed = async (query: string) =>
      (await raw('GET', `?To=${encodeURIComponent(to)}${query}`)).body.messages.map(
        (m: { body: string }) => m.body,
      );
    expect(await listed('')).toEqual(['Held']);
    expect(await listed(`&${encodeURIComponent('DateSent>')}=${today}`)).toEqual([]);

    fake.throughput = null;
    await expect.poll(() => fake.queued().length).toBe(0);
    const [message] = (await raw('GET', `?To=${encodeURIComponent(to)}`)).body.messages;
    expect(message).toMatchObject({ status: 'sent', from: '70505' });
    expect(message?.date_sent).toMatch(/ \+0000$/);
    expect(await listed(`&${encodeURIComponent('DateSent>')}=${today}`)).toEqual(['Held']);
    expect(await listed(`&DateSent=${today}`)).toEqual(['Held']);
    expect(await listed(`&${encodeURIComponent('DateSent<')}=2020-01-01`)).toEqual([]);
  });

  it('pages newest first with Twilio’s paging fields', async () => {
    const to = '+447700900130';
    for (const body of ['one', 'two', 'three']) await raw('POST', '', { To: to, Body: body, From: '70505' });
    const first = (await raw('GET', `?To=${encodeURIComponent(to)}&PageSize=2`)).body;
    expect(first).toMatchObject({ page: 0, page_size: 2, start: 0, end: 1, previous_page_uri: null });
    expect(first.messages.map((m: { body: string }) => m.body)).toEqual(['three', 'two']);
    const next = await fetch(`${fake.url}${first.next_page_uri}`, {
      headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` },
    });
    const second = (await next.json()) as Answer;
    expect(second).toMatchObject({ page: 1, start: 2, end: 2, next_page_uri: null });
    expect(second.messages.map((m: { body: string }) => m.body)).toEqual(['one']);
  });
});
