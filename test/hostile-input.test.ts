import fc from 'fast-check';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, consoleStaff, csrfOf, PASSWORD } from './console/session.js';
import { apiAs, staffToken } from './helpers/api.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { openCampaign } from './helpers/campaigns.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { listenForTexts, PUBLIC_BASE_URL } from './helpers/phone.js';
import { phoneForms } from './members/trace.js';

/** A supporter whose name and number must never reach a log line, whatever the requests carry. */
const MARKER_NAME = 'Zenobia Quartermaine';
const MARKER_NUMBER = '+447700900777';

let database: TestDatabase;
let server: TestApp;
let admin: { id: number; token: string };
let consoleClient: ConsoleClient;
/** The staff sending these requests: demoting or disabling them would only end the run early. */
const acting: string[] = [];
let csrf: string;
let campaignId: number;
const ids: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const campaign = await openCampaign(database, {
    keyword: 'MAGAMED',
    title: 'Magamed Abubakarov',
    letter: { body: 'Investigate the threats.' },
    targets: [{ name: 'Prosecutor', salutation: 'Dear Prosecutor', faxNumbers: ['+442079460111'] }],
  });
  campaignId = campaign.id;
  server = await startTestApp(database, {
    env: {
      PUBLIC_BASE_URL,
      SMS_REPLIES_PER_HOUR: '1000',
      API_REQUESTS_PER_MINUTE: '1000000',
      API_FAILED_TOKENS_PER_15_MINUTES: '100000',
    },
  });
  const text = await listenForTexts(server);
  expect((await text(MARKER_NUMBER, `MAGAMED ${MARKER_NAME}`)).status).toBe(200);
  admin = await staffToken(database, 'admin');
  const api = apiAs(server.app, admin.token);
  const batch = await api({ method: 'POST', url: `/api/v1/campaigns/${campaignId}/fax-batches` });
  expect(batch.statusCode).toBe(202);
  const broadcast = await api({
    method: 'POST',
    url: `/api/v1/campaigns/${campaignId}/broadcasts`,
    payload: { body: 'Good news', audience: 'signers' },
  });
  expect(broadcast.statusCode).toBe(202);
  const { rows } = await database.pool.query<{ id: string }>(
    `SELECT id::text FROM signatures UNION SELECT id::text FROM fax_deliveries
     UNION SELECT id::text FROM targets UNION SELECT id::text FROM staff`,
  );
  ids.push(String(campaignId), batch.json().id, broadcast.json().id, ...rows.map((row) => row.id));

  const { email } = await consoleStaff(database, 'admin');
  const { rows: staffRows } = await database.pool.query<{ id: string }>('SELECT id::text FROM staff');
  acting.push(...staffRows.map((row) => row.id));
  consoleClient = new ConsoleClient(server.app);
  expect((await consoleClient.signIn(email, PASSWORD)).statusCode).toBe(303);
  csrf = csrfOf((await consoleClient.get('/console/members')).body);
});

afterAll(async () => {
  await server.close();
  await database.drop();
});

/** Text that breaks naive code: NUL, lone surrogates, noncharacters, numbers out of range, markup. */
const NASTY = [
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\uFFFE',
  '\uFFFF',
  '\uFDD0',
  '\u{10FFFF}',
  '\u{1FFFE}',
  '\u0007',
  '\u202E',
  '\u200B',
  '\r\n',
  'Infinity',
  '-Infinity',
  'NaN',
  '1e400',
  '-1',
  '0',
  '99999999999999999999',
  '2147483648',
  '32768',
  '1.5',
  '',
  ' ',
  '[]',
  '{}',
  '<b>',
  '%',
  '%00',
  '\\',
  '"',
  "'",
  '=cmd()',
  MARKER_NAME,
  MARKER_NUMBER,
];

/** Any text at all, built from the nasty pieces, arbitrary code points (lone surrogates too) and graphemes. */
const hostile = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...NASTY),
        fc.string({ unit: 'binary-ascii', maxLength: 6 }),
        fc.string({ unit: 'grapheme', maxLength: 4 }),
      ),
      { maxLength: 6 },
    )
    .map((parts) => parts.join('')),
);

/** Ordinary text with one nasty piece in it: it passes every other check, so the piece is what is tested. */
const oneNastyCharacter = fc
  .tuple(
    fc.constantFrom('Jane Smith', 'A title', 'Dear Judge'),
    fc.oneof(fc.constantFrom('\u0000', '\uD800', '\uFFFF', '\u0007'), fc.constantFrom(...NASTY)),
    fc.nat(10),
  )
  .map(([text, nasty, at]) => `${text.slice(0, at)}${nasty}${text.slice(at)}`);

/** An id in a path: one that exists (by its index in `ids`), or anything at all. */
const anyId = fc.oneof(fc.nat(40), fc.nat(40), hostile);
const encodePath = (template: string, id: number | string) =>
  template.replaceAll('{id}', typeof id === 'number' ? (ids[id % ids.length] as string) : encode(id));

/** encodeURIComponent refuses lone surrogates; a browser sends U+FFFD for them. */
function encode(text: string): string {
  return encodeURIComponent(text.replace(/\p{Cs}/gu, '\uFFFD'));
}

type Fields = Array<[string, string]>;
const formBody = (fields: Fields) =>
  fields.map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');

/**
 * A well-formed form with a few changes: a field's value replaced by hostile text, a field sent twice,
 * a field dropped, or a field of any name added. Most requests then get past the first check.
 */
const mutated = (base: Fields, names: readonly string[]) =>
  fc
    .array(
      fc.tuple(
        fc.constantFrom('replace', 'repeat', 'drop', 'add'),
        fc.nat(),
        fc.oneof(fc.constantFrom(...names), hostile),
        fc.oneof(hostile, oneNastyCharacter),
      ),
      { maxLength: 3 },
    )
    .map((changes) => {
      const fields: Fields = [...base];
      for (const [change, at, name, value] of changes) {
        const i = fields.length ? at % fields.length : 0;
        const field = fields[i];
        if (change === 'replace' && field) fields[i] = [field[0], value];
        else if (change === 'repeat' && field) fields.push([field[0], value]);
        else if (change === 'drop') fields.splice(i, 1);
        else fields.push([name, value]);
      }
      return fields;
    });

interface HostileRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** Repeated names become arrays, as @fastify/formbody parses them: what the app checks the signature of. */
function parsedForm(payload: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(payload)) {
    const previous = out[name];
    out[name] = previous === undefined ? value : [previous, value].flat();
  }
  return out;
}

let nextSid = 0;
/** A Twilio webhook signed with the real token (mostly), form-encoded or JSON, with odd or repeated fields. */
const twilioWebhook = fc
  .record({
    status: fc.boolean(),
    body: fc.oneof(
      fc.constant(`MAGAMED ${MARKER_NAME}`),
      fc.constant('STOP'),
      hostile.map((text) => `MAGAMED ${text}`),
      hostile,
    ),
    from: fc.oneof(fc.constant(MARKER_NUMBER), fc.constant('+447700900778'), hostile),
    json: fc.oneof(fc.constant(false), fc.constant(false), fc.constant(false), fc.constant(true)),
    signed: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(true), fc.constant(false)),
  })
  .chain(({ status, body, from, json, signed }) => {
    const sid = `SM${String(nextSid++).padStart(32, '0')}`;
    const base: Fields = status
      ? [
          ['MessageSid', sid],
          ['MessageStatus', 'delivered'],
          ['ErrorCode', '30003'],
        ]
      : [
          ['MessageSid', sid],
          ['From', from],
          ['To', '70505'],
          ['Body', body],
        ];
    const names = ['MessageSid', 'SmsSid', 'From', 'To', 'Body', 'OptOutType', 'MessageStatus', 'ErrorCode'];
    return mutated(base, names).map((fields): HostileRequest => {
      const path = status ? '/webhooks/twilio/status' : '/webhooks/twilio/sms';
      const form = formBody(fields);
      const payload = json ? JSON.stringify(parsedForm(form)) : form;
      const signature = twilio.getExpectedTwilioSignature(
        server.config.twilio.authToken,
        `${PUBLIC_BASE_URL}${path}`,
        json ? JSON.parse(payload) : parsedForm(form),
      );
      return {
        method: 'POST',
        url: path,
        headers: {
          'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
          ...(signed ? { 'x-twilio-signature': signature } : {}),
        },
        payload,
      };
    });
  });

const faxCallback = fc
  .record({
    provider: fc.oneof(fc.constantFrom('sinch', 'file'), hostile),
    tokens: fc.array(hostile, { maxLength: 3 }),
  })
  .map(
    ({ provider, tokens }): HostileRequest => ({
      method: 'POST',
      url: `/webhooks/fax/${encode(provider)}?${formBody(tokens.map((token) => ['token', token]))}`,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    }),
  );

const QUERY: Fields = [['limit', '2']];
const QUERY_NAMES = ['limit', 'cursor', 'status', 'dryRun', 'targetId', 'part', 'body'];
const query = mutated(QUERY, QUERY_NAMES).map((fields) => (fields.length ? `?${formBody(fields)}` : ''));

/** A JSON value with hostile strings and numbers in it; JSON.stringify keeps lone surrogates as \u escapes. */
const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostile,
    fc.constantFrom(0, -1, 1.5, 1e308, 2 ** 31, 2 ** 53, true, null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(hostile, fc.constantFrom('name', 'faxNumbers', 'body', 'subject')), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

const CAMPAIGN = {
  keyword: 'FUZZ',
  title: 'A title',
  letter: { subject: 'Subject', body: 'Body' },
  targets: [{ name: 'Judge', salutation: 'Dear Judge', faxNumbers: ['+74951234567'] }],
  closesAt: '2099-01-01T00:00:00Z',
  batchThreshold: 10,
};
/** A valid body of each kind, whose one field may be replaced by anything. */
const VALID_BODIES: Array<Record<string, unknown>> = [
  CAMPAIGN,
  { body: 'Hello', audience: 'signers' },
  { email: 'a@example.org', role: 'viewer' },
  { phoneNumber: MARKER_NUMBER },
  { faxNumber: '+442079460000' },
  { role: 'viewer' },
  { label: 'x' },
];
/** A keyword no campaign has yet, so that a campaign made from a changed body gets as far as Postgres. */
const freshKeyword = fc.stringMatching(/^[A-Z]{8}$/);
const jsonBody = fc.oneof(
  fc
    .tuple(fc.constantFrom(...VALID_BODIES), fc.nat(), fc.boolean(), jsonValue, freshKeyword)
    .map(([body, at, keep, value, keyword]) => {
      const valid = body === CAMPAIGN ? { ...body, keyword } : body;
      const keys = Object.keys(valid);
      return JSON.stringify(keep ? valid : { ...valid, [keys[at % keys.length] as string]: value });
    }),
  fc.constantFrom(
    '{"batchThreshold":1e400}',
    '{"limit":NaN}',
    '[1e400]',
    '{"a":"\\u0000"}',
    '{"a":"\\ud800"}',
  ),
  jsonValue.map((value) => JSON.stringify(value)),
);

const API_ROUTES: Array<[HostileRequest['method'], string]> = [
  ['GET', '/api/v1/me'],
  ['GET', '/api/v1/campaigns'],
  ['POST', '/api/v1/campaigns'],
  ['GET', '/api/v1/campaigns/{id}'],
  ['PATCH', '/api/v1/campaigns/{id}'],
  ['POST', '/api/v1/campaigns/{id}/open'],
  ['POST', '/api/v1/campaigns/{id}/close'],
  ['GET', '/api/v1/campaigns/{id}/signatures'],
  ['GET', '/api/v1/campaigns/{id}/signatures.csv'],
  ['POST', '/api/v1/signatures/{id}/hold'],
  ['POST', '/api/v1/signatures/{id}/release'],
  ['POST', '/api/v1/signatures/{id}/hide'],
  ['POST', '/api/v1/campaigns/{id}/fax-batches'],
  ['GET', '/api/v1/campaigns/{id}/fax-batches'],
  ['GET', '/api/v1/fax-batches/{id}'],
  ['GET', '/api/v1/fax-batches/{id}/document'],
  ['POST', '/api/v1/campaigns/{id}/test-fax'],
  ['POST', '/api/v1/fax-deliveries/{id}/retry'],
  ['POST', '/api/v1/campaigns/{id}/broadcasts'],
  ['GET', '/api/v1/broadcasts/{id}'],
  ['POST', '/api/v1/broadcasts/{id}/cancel'],
  ['POST', '/api/v1/broadcasts/{id}/send-now'],
  ['POST', '/api/v1/broadcasts/{id}/reschedule'],
  ['POST', '/api/v1/supporters/erase'],
  ['GET', '/api/v1/staff'],
  ['POST', '/api/v1/staff'],
  ['PATCH', '/api/v1/staff/{id}'],
  ['GET', '/api/v1/staff/{id}/tokens'],
  ['POST', '/api/v1/staff/{id}/tokens'],
  ['GET', '/api/v1/audit'],
];

const csvFile = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constant(MARKER_NUMBER), hostile),
      hostile,
      fc.oneof(fc.constant('2024-01-02'), hostile),
      hostile,
    ),
    {
      maxLength: 4,
    },
  )
  .map((rows) => ['number,name,consent_date,consent_source', ...rows.map((row) => row.join(','))].join('\n'));

const apiRequest = fc.oneof(
  fc.record({ route: fc.constantFrom(...API_ROUTES), id: anyId, query, body: jsonBody }).map(
    ({ route: [method, template], id, query, body }): HostileRequest => ({
      method,
      url: `${encodePath(template, id)}${query}`,
      headers: {
        authorization: `Bearer ${admin.token}`,
        ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
      },
      ...(method === 'GET' ? {} : { payload: body }),
    }),
  ),
  fc.record({ file: fc.oneof(csvFile, hostile), dryRun: fc.boolean() }).map(
    ({ file, dryRun }): HostileRequest => ({
      method: 'POST',
      url: `/api/v1/members/import${dryRun ? '?dryRun=true' : ''}`,
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'text/csv' },
      payload: file,
    }),
  ),
);

const CONSOLE_PAGES = [
  '/console/campaigns',
  '/console/campaigns/counts.json',
  '/console/campaigns/new',
  '/console/fax-numbers.json',
  '/console/campaigns/{id}',
  '/console/campaigns/{id}/edit',
  '/console/campaigns/{id}/live.json',
  '/console/campaigns/{id}/fax',
  '/console/campaigns/{id}/fax-preview.pdf',
  '/console/campaigns/{id}/fax-preview/first-page.pdf',
  '/console/campaigns/{id}/fax/confirm',
  '/console/fax-batches/{id}',
  '/console/fax-batches/{id}/live.json',
  '/console/fax-batches/{id}/document',
  '/console/campaigns/{id}/updates',
  '/console/campaigns/{id}/segments.json',
  '/console',
  '/console/dashboard.json',
  '/console/broadcasts/{id}',
  '/console/broadcasts/{id}/live.json',
  '/console/members',
  '/console/staff',
  '/console/audit',
  '/console/queues/api/queues',
  '/console/campaigns/{id}/close',
  '/console/campaigns/{id}/signatures.csv',
  '/console/account',
  '/console/password/{id}',
];

const CAMPAIGN_FORM: Fields = [
  ['keyword', 'FORMFUZZ'],
  ['title', 'A title'],
  ['body', 'The letter'],
  ['closesAt', '2099-01-01T10:00'],
  ['batchThreshold', '10'],
  ['batchDailyAt', '10:00'],
  ['targetCount', '1'],
  ['target-0-name', 'Judge'],
  ['target-0-salutation', 'Dear Judge'],
  ['target-0-faxNumbers', '+74951234567'],
  ['target-0-timezone', 'Europe/Moscow'],
];
/** Each console form with a well-formed filling, as the page would send it. */
const CONSOLE_FORMS: Array<[string, Fields]> = [
  ['/console/campaigns', CAMPAIGN_FORM],
  ['/console/campaigns/{id}', CAMPAIGN_FORM],
  ['/console/campaigns/{id}/open', []],
  ['/console/campaigns/{id}/close', []],
  ['/console/signatures/{id}/hold', []],
  ['/console/signatures/{id}/release', []],
  ['/console/signatures/{id}/hide', []],
  [
    '/console/campaigns/{id}/test-fax',
    [
      ['faxNumber', '+442079460000'],
      ['targetId', '1'],
    ],
  ],
  ['/console/campaigns/{id}/fax-batches', []],
  ['/console/fax-deliveries/{id}/retry', [['batch', '1']]],
  [
    '/console/campaigns/{id}/updates',
    [
      ['body', 'Good news'],
      ['audience', 'signers'],
      ['smartEncoding', 'on'],
      ['confirm', '1'],
      ['confirmRepeat', 'yes'],
    ],
  ],
  [
    '/console/campaigns/{id}/updates/preview',
    [
      ['body', 'Good news'],
      ['audience', 'signers'],
      ['smartEncoding', 'off'],
    ],
  ],
  [
    '/console/campaigns/{id}/updates/edit',
    [
      ['body', 'Good news'],
      ['audience', 'signers'],
    ],
  ],
  ['/console/broadcasts/{id}/cancel', []],
  ['/console/broadcasts/{id}/send-now', []],
  ['/console/broadcasts/{id}/reschedule', [['sendAt', '2099-01-01T09:00']]],
  [
    '/console/members/import',
    [
      ['csv', `number,name,consent_date,consent_source\n${MARKER_NUMBER},${MARKER_NAME},2024-01-02,web`],
      ['dryRun', 'yes'],
    ],
  ],
  ['/console/supporters/erase', [['phoneNumber', '+447700900999']]],
  [
    '/console/staff',
    [
      ['email', 'someone@example.org'],
      ['role', 'viewer'],
    ],
  ],
  ['/console/staff/{id}', [['role', 'viewer']]],
  ['/console/staff/{id}/tokens', []],
  [
    '/console/staff/invite',
    [
      ['email', 'invited@example.org'],
      ['role', 'viewer'],
    ],
  ],
  ['/console/staff/{id}/reset', []],
  [
    '/console/campaigns/{id}/signatures/bulk',
    [
      ['action', 'hide'],
      ['q', 'Smith'],
      ['status', 'held'],
    ],
  ],
  [
    '/console/login',
    [
      ['email', 'nobody@example.org'],
      ['password', 'not the password'],
    ],
  ],
];

const consolePage = fc.record({ template: fc.constantFrom(...CONSOLE_PAGES), id: anyId, query }).map(
  ({ template, id, query }): HostileRequest => ({
    method: 'GET',
    url: `${encodePath(template, id)}${query}`,
    headers: { cookie: consoleClient.cookie },
  }),
);

const consoleForm = fc
  .record({
    // The campaign form, whose text is stored, a third of the time.
    form: fc.oneof(
      fc.constantFrom(...CONSOLE_FORMS.slice(0, 2)),
      fc.constantFrom(...CONSOLE_FORMS),
      fc.constantFrom(...CONSOLE_FORMS),
    ),
    id: anyId,
    csrf: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(true), fc.constant(false)),
    keyword: freshKeyword,
  })
  .chain(({ form: [template, form], id, csrf: withCsrf, keyword }) => {
    const base = form.map(([name, value]): [string, string] => [name, name === 'keyword' ? keyword : value]);
    return mutated(base, [...base.map(([name]) => name), 'targetCount', 'target-1-name']).map(
      (fields): HostileRequest => ({
        method: 'POST',
        url: encodePath(template, id),
        headers: { cookie: consoleClient.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: formBody([...(withCsrf ? ([['_csrf', csrf]] as Fields) : []), ...fields]),
      }),
    );
  });

const anyRequest = fc.oneof(
  { arbitrary: twilioWebhook, weight: 3 },
  { arbitrary: faxCallback, weight: 1 },
  { arbitrary: apiRequest, weight: 4 },
  { arbitrary: consolePage, weight: 2 },
  { arbitrary: consoleForm, weight: 3 },
);

/** A webhook form signed as Twilio signs it, fields in the order given (a name may repeat). */
function signedWebhook(path: string, fields: Fields) {
  const payload = formBody(fields);
  const signature = twilio.getExpectedTwilioSignature(
    server.config.twilio.authToken,
    `${PUBLIC_BASE_URL}${path}`,
    parsedForm(payload),
  );
  return server.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    payload,
  });
}

async function storedMessages(): Promise<number> {
  const { rows } = await database.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM inbound_messages',
  );
  return rows[0]?.n ?? 0;
}

describe('odd input, case by case', () => {
  it('thanks a name holding U+FFFF without it, and stores the name clean', async () => {
    const response = await signedWebhook('/webhooks/twilio/sms', [
      ['MessageSid', 'SMffff0000000000000000000000000001'],
      ['From', '+447700900779'],
      ['Body', 'MAGAMED Jane\uFFFF Smith\uFFFE'],
    ]);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Jane Smith');
    const { rows } = await database.pool.query("SELECT name FROM signatures WHERE name LIKE 'Jane%'");
    expect(rows).toEqual([{ name: 'Jane Smith' }]);
  });

  it('refuses a signed text with a repeated or malformed field with 400, storing nothing', async () => {
    const before = await storedMessages();
    const repeated = await signedWebhook('/webhooks/twilio/sms', [
      ['MessageSid', 'SMdup00000000000000000000000000001'],
      ['From', '+447700900780'],
      ['From', '+447700900781'],
      ['Body', 'MAGAMED'],
    ]);
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json().error.message).toBe('From must be given once, as text.');
    const nul = await signedWebhook('/webhooks/twilio/sms', [
      ['MessageSid', 'SMnul\u0000'],
      ['From', '+447700900780'],
    ]);
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error.message).toBe('MessageSid is not a value Twilio sends.');
    const status = await signedWebhook('/webhooks/twilio/status', [
      ['MessageSid', 'SM1'],
      ['MessageSid', 'SM2'],
      ['MessageStatus', 'delivered'],
    ]);
    expect(status.statusCode).toBe(400);
    expect(await storedMessages()).toBe(before);
  });

  it('answers a repeated or odd fax callback token as an unknown one', async () => {
    for (const query of ['token=a&token=b', 'token=%00', 'token=%EF%BF%BF']) {
      const response = await server.app.inject({ method: 'POST', url: `/webhooks/fax/sinch?${query}` });
      expect(response.statusCode, query).toBe(404);
    }
  });

  it('refuses Infinity, 1e400 and NaN where the API takes a number', async () => {
    const api = apiAs(server.app, admin.token);
    for (const limit of ['Infinity', '1e400', 'NaN', '-1', '1.5']) {
      const list = await api({ method: 'GET', url: `/api/v1/campaigns?limit=${limit}` });
      expect(list.statusCode, limit).toBe(400);
    }
    const part = await api({
      method: 'GET',
      url: `/api/v1/fax-batches/${ids[1]}/document?targetId=1&part=1e400`,
    });
    expect(part.statusCode).toBe(400);
    const body = await api({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...CAMPAIGN, keyword: 'BIGNUM' }).replace(
        '"batchThreshold":10',
        '"batchThreshold":1e400',
      ),
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().error.code).toBe('validation_failed');
  });

  it('refuses NUL, lone surrogates and noncharacters in the API and the console, naming the field', async () => {
    const api = apiAs(server.app, admin.token);
    for (const [text, field] of [
      ['Title\u0000', 'title'],
      ['Title\uD800', 'title'],
      ['Title\uFFFF', 'title'],
    ] as const) {
      const response = await api({
        method: 'POST',
        url: '/api/v1/campaigns',
        payload: { ...CAMPAIGN, title: text },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toEqual({
        code: 'invalid_text',
        message: `The body field ${field} holds a character no text may hold (NUL, a control character, a lone surrogate or a noncharacter).`,
      });
    }
    const target = await api({
      method: 'POST',
      url: '/api/v1/campaigns',
      payload: { ...CAMPAIGN, targets: [{ ...CAMPAIGN.targets[0], name: 'Judge\u0007' }] },
    });
    expect(target.json().error.message).toContain('targets[0].name');

    const page = await consoleClient.post(
      '/console/campaigns',
      formBodyObject([['_csrf', csrf], ...CAMPAIGN_FORM, ['title', 'A\u0000']]),
    );
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('holds a character no text may hold');
  });

  it('answers a console form with its fields missing with a 4xx and a message', async () => {
    const retried = await consoleClient.post(`/console/fax-deliveries/${ids[0]}/retry`, { _csrf: csrf });
    expect(retried.statusCode).toBe(404);
    const staff = await consoleClient.post('/console/staff', { _csrf: csrf });
    expect(staff.statusCode).toBe(400);
    expect(staff.body).toContain('That is not an e-mail address.');
    const change = await consoleClient.post(`/console/staff/${acting[0]}`, { _csrf: csrf });
    expect(change.statusCode).toBe(400);
    expect(change.body).toContain('Give a role, or whether the account is disabled.');
  });
});

/** The console client posts an object; the last value of a repeated name wins, as formbody reads it. */
function formBodyObject(fields: Fields): Record<string, string> {
  return Object.fromEntries(fields);
}

describe('hostile input at every edge', () => {
  it('gets a 4xx or better, never a 5xx, keeps the process up and logs no name or number', async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(anyRequest, async (request) => {
        fc.pre(!acting.some((id) => request.url.includes(`/staff/${id}`)));
        sent++;
        const response = await server.app.inject({ ...request, remoteAddress: '192.0.2.10' });
        expect(response.statusCode, `${request.method} ${request.url} ${request.payload ?? ''}`).toBeLessThan(
          500,
        );
      }),
      { numRuns: 3000 },
    );
    expect(sent).toBeGreaterThanOrEqual(3000);
    expect((await server.app.inject('/healthz')).statusCode).toBe(200);
    const logs = server.logs.text();
    expect(logs).toContain('"reqId"');
    expect(logs).not.toContain(MARKER_NAME);
    expect(logs).not.toContain('Quartermaine');
    for (const form of phoneForms(MARKER_NUMBER)) expect(logs).not.toContain(form);
  }, 180_000);
});
