import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import {
  CREATE_PARAMETERS,
  LIST_PARAMETERS,
  parameterProblems,
  SCHEMAS,
  schemaProblems,
} from './twilio-definition.js';

/**
 * Twilio's Messages API at the HTTP level, held to Twilio's own definition (twilio-definition.ts), so
 * that the real `twilio` package and our adapter run against something as strict and as awkward as
 * Twilio: Basic auth; a create or list parameter the definition does not list is refused with
 * Twilio's error shape; a created message waits in a queue (`accepted` through a Messaging Service,
 * `queued` with a From number, `date_sent` null) and leaves at the throughput the test sets; chosen
 * creates are answered only after the client gave up (the message taken all the same); the status
 * callback can come before the create's answer; the list pages newest first with Twilio's paging
 * fields and filters on `DateSent` as Twilio does. Every answer is checked against the definition:
 * an answer Twilio would never give is recorded in `problems`, and `close()` then fails.
 * It records every message it took, numbers included (only tests read them).
 */
export interface FakeMessage {
  sid: string;
  to: string;
  body: string;
  from: string | null;
  messagingServiceSid: string | null;
  statusCallback: string | null;
  /** Date.now() when it was taken: its `date_created`. */
  at: number;
  status: 'accepted' | 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';
  /** Date.now() when it left the queue: its `date_sent`; null while Twilio holds it. */
  sentAt: number | null;
}

/** One request to the fake and its answer, for the test that holds both to the definition. */
export interface Exchange {
  method: string;
  path: string;
  /** The form of a create, the query of a list. */
  params: URLSearchParams;
  status: number;
  answer: unknown;
}

/** A status callback as Twilio makes it: the URL, the form and its X-Twilio-Signature. */
export interface StatusCallbackRequest {
  url: string;
  params: Record<string, string>;
  signature: string;
}

export interface FakeTwilio {
  url: string;
  /** Messages taken (201, or taken and answered late or with a 5xx), in order. */
  messages: FakeMessage[];
  /** Every create request, including the refused ones: the number and the status answered. */
  requests: Array<{ to: string; status: number }>;
  /** The query of every list (GET) request, in order. */
  listRequests: string[];
  exchanges: Exchange[];
  /** Answers that do not fit Twilio's definition (the fake's own bugs): `close()` fails if any. */
  problems: string[];
  /**
   * The next `count` requests (creates or lists) are answered with `status` (400, 429 or 5xx) first;
   * with `afterTaking`, a create is taken before its 5xx is answered, as Twilio may.
   */
  failNext(count: number, status: number, options?: { afterTaking?: boolean }): void;
  /** Numbers that replied STOP to Twilio: a message to one gets 400 with error 21610. */
  unsubscribed: Set<string>;
  /** Milliseconds between taking a message and answering 201, as a real API's latency. */
  latencyMs: number;
  /** Messages leaving Twilio's queue per second; null: each leaves as soon as it is taken. */
  throughput: number | null;
  /** Whether a sent message is then `delivered` (else it stays `sent`). */
  deliver: boolean;
  /** Every `every`th create taken is answered `delayMs` late: after the client's timeout. */
  lateAnswers: { every: number; delayMs: number } | null;
  /** Posts status callbacks (the test routes them to the app); none are made while null. */
  callbacks: ((callback: StatusCallbackRequest) => Promise<unknown>) | null;
  /** A created message is sent, and its callback made, before the create is answered. */
  callbackBeforeAnswer: boolean;
  /** Messages Twilio holds, not yet sent. */
  queued(): FakeMessage[];
  /** Holds every create, not yet taken, until `release()` (to catch a broadcast in the middle). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

const API_VERSION = '2010-04-01';
/** The sender a Messaging Service gives a text when it leaves the queue. */
const POOL_SENDER = '70505';
const MAX_BODY = 1600;

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** A date as Twilio writes it: RFC 2822 in GMT, `Thu, 24 Aug 2023 05:01:45 +0000`. */
export function rfc2822(ms: number): string {
  const d = new Date(ms);
  return (
    `${DAY_NAMES[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTH_NAMES[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/** Twilio's error body: code, message, more_info, status. */
function errorBody(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** What `failNext` answers for each status: Twilio's code and message for it. */
const PROVIDER_ERRORS: Record<number, [number, string]> = {
  400: [21211, "Invalid 'To' Phone Number"],
  429: [20429, 'Too Many Requests'],
  500: [20500, 'Internal Server Error'],
  503: [20503, 'Service Unavailable'],
};

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Twilio's `DateSent` filters: a date alone compares days (GMT), `DateSent<` and `DateSent>` on or
 * before/after it, as the definition describes; a date and time compares to the second. A message not
 * sent yet has no `date_sent` and matches no `DateSent` filter.
 */
function dateSentFilter(params: URLSearchParams): ((message: FakeMessage) => boolean) | { problem: string } {
  const tests: Array<(sentAt: number) => boolean> = [];
  for (const [name, op] of [
    ['DateSent', '='],
    ['DateSent<', '<'],
    ['DateSent>', '>'],
  ] as const) {
    const value = params.get(name);
    if (value === null) continue;
    if (DATE_ONLY.test(value)) {
      if (Number.isNaN(Date.parse(value))) return { problem: `Invalid ${name}` };
      tests.push((sentAt) => {
        const day = dayOf(sentAt);
        return op === '=' ? day === value : op === '<' ? day <= value : day >= value;
      });
      continue;
    }
    const at = Date.parse(value);
    if (Number.isNaN(at)) return { problem: `Invalid ${name}` };
    const second = Math.floor(at / 1000);
    tests.push((sentAt) => {
      const sent = Math.floor(sentAt / 1000);
      return op === '=' ? sent === second : op === '<' ? sent <= second : sent >= second;
    });
  }
  if (tests.length === 0) return () => true;
  return (message) => message.sentAt !== null && tests.every((test) => test(message.sentAt as number));
}

export async function startFakeTwilio(accountSid: string, authToken: string): Promise<FakeTwilio> {
  const messages: FakeMessage[] = [];
  const requests: FakeTwilio['requests'] = [];
  const listRequests: string[] = [];
  const exchanges: Exchange[] = [];
  const problems: string[] = [];
  const unsubscribed = new Set<string>();
  const failures: Array<{ status: number; afterTaking: boolean }> = [];
  let held: Array<() => void> | null = null;
  let taken = 0;
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const path = `/${API_VERSION}/Accounts/${accountSid}/Messages.json`;
  const messageUri = (sid: string) => `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}`;

  function resource(message: FakeMessage, snapshot?: Partial<FakeMessage>) {
    const m = { ...message, ...snapshot };
    return {
      account_sid: accountSid,
      api_version: API_VERSION,
      body: m.body,
      date_created: rfc2822(m.at),
      date_sent: m.sentAt === null ? null : rfc2822(m.sentAt),
      date_updated: rfc2822(m.sentAt ?? m.at),
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: m.messagingServiceSid,
      num_media: '0',
      // A Messaging Service's message counts 0 segments until a sender is assigned.
      num_segments: m.messagingServiceSid && m.sentAt === null ? '0' : '1',
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: `${messageUri(m.sid)}/Media.json` },
      to: m.to,
      uri: `${messageUri(m.sid)}.json`,
    };
  }

  /** Answers, after holding the answer to Twilio's definition for its status. */
  function answer(
    request: { method: string; path: string; params: URLSearchParams },
    response: ServerResponse,
    status: number,
    body: unknown,
  ) {
    const schema = status === 201 ? SCHEMAS.created : status === 200 ? SCHEMAS.list : SCHEMAS.error;
    for (const problem of schemaProblems(schema, body))
      problems.push(`${request.method} ${status} ${problem}`);
    exchanges.push({ ...request, status, answer: body });
    if (response.destroyed) return;
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(body));
  }

  async function callback(message: FakeMessage) {
    if (!fake.callbacks || !message.statusCallback) return;
    const params: Record<string, string> = {
      AccountSid: accountSid,
      ApiVersion: API_VERSION,
      From: message.from ?? POOL_SENDER,
      MessageSid: message.sid,
      MessageStatus: message.status,
      SmsSid: message.sid,
      SmsStatus: message.status,
      To: message.to,
      ...(message.messagingServiceSid ? { MessagingServiceSid: message.messagingServiceSid } : {}),
    };
    const url = message.statusCallback;
    const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
    try {
      await fake.callbacks({ url, params, signature });
    } catch {
      // Twilio does not retry a status callback that failed.
    }
  }

  /** The message leaves Twilio's queue: sent (then delivered), with its callbacks. */
  async function leave(message: FakeMessage) {
    message.sentAt = Date.now();
    message.from ??= POOL_SENDER;
    message.status = 'sent';
    await callback(message);
    if (fake.deliver) {
      message.status = 'delivered';
      await callback(message);
    }
  }

  // The queue drains at `throughput` a second, oldest first.
  const waiting: FakeMessage[] = [];
  let credit = 0;
  let lastTick = Date.now();
  const drain = setInterval(() => {
    const now = Date.now();
    if (fake.throughput === null) credit = waiting.length;
    else credit = Math.min(credit + ((now - lastTick) / 1000) * fake.throughput, Math.max(waiting.length, 1));
    lastTick = now;
    while (credit >= 1 && waiting.length > 0) {
      credit -= 1;
      void leave(waiting.shift() as FakeMessage);
    }
  }, 10);
  drain.unref();

  /**
   * Read Multiple Message Resources: the definition's filters only; newest first; `PageSize` a page;
   * `PageToken` (`PA` and the last sid of the page before) keeps a page where it was while new messages
   * arrive.
   */
  function list(
    url: URL,
    request: { method: string; path: string; params: URLSearchParams },
    response: ServerResponse,
  ) {
    const params = url.searchParams;
    const refused = parameterProblems(LIST_PARAMETERS, [], params);
    if (refused.length > 0) return answer(request, response, 400, errorBody(400, 20001, refused.join('; ')));
    const dates = dateSentFilter(params);
    if ('problem' in dates) return answer(request, response, 400, errorBody(400, 20001, dates.problem));
    const to = params.get('To');
    const from = params.get('From');
    const pageSize = Number(params.get('PageSize') ?? 50);
    const page = Number(params.get('Page') ?? 0);
    const matching = messages
      .map((message, index) => ({ message, index }))
      .filter(({ message }) => (to === null || message.to === to) && (from === null || message.from === from))
      .filter(({ message }) => dates(message))
      .sort((a, b) => b.message.at - a.message.at || b.index - a.index)
      .map(({ message }) => message);
    const token = params.get('PageToken');
    let first = page * pageSize;
    if (token?.startsWith('PA')) first = matching.findIndex((m) => m.sid === token.slice(2)) + 1;
    if (token?.startsWith('PB')) {
      first = Math.max(matching.findIndex((m) => m.sid === token.slice(2)) - pageSize, 0);
    }
    const items = matching.slice(first, first + pageSize);
    const filters = new URLSearchParams(params);
    for (const name of ['PageSize', 'Page', 'PageToken']) filters.delete(name);
    const pageUri = (n: number, pageToken: string | null) => {
      const query = new URLSearchParams(filters);
      query.set('PageSize', String(pageSize));
      query.set('Page', String(n));
      if (pageToken) query.set('PageToken', pageToken);
      return `${path}?${query}`;
    };
    const last = items.at(-1);
    const firstItem = items[0];
    answer(request, response, 200, {
      end: first + Math.max(items.length - 1, 0),
      first_page_uri: pageUri(0, null),
      messages: items.map((message) => resource(message)),
      next_page_uri: last && first + pageSize < matching.length ? pageUri(page + 1, `PA${last.sid}`) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 && firstItem ? pageUri(page - 1, `PB${firstItem.sid}`) : null,
      start: first,
      uri: pageUri(page, token),
    });
  }

  async function create(
    form: URLSearchParams,
    request: { method: string; path: string; params: URLSearchParams },
    response: ServerResponse,
  ) {
    const to = form.get('To') ?? '';
    const refuse = (status: number, code: number, message: string) => {
      requests.push({ to, status });
      answer(request, response, status, errorBody(status, code, message));
    };
    // What Twilio checks first: the parameters it knows, then each rule of the create.
    const refused = parameterProblems(CREATE_PARAMETERS, [], form);
    if (refused.length > 0) return refuse(400, 20001, refused.join('; '));
    if (!form.has('To')) return refuse(400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9][0-9]{6,14}$/.test(to))
      return refuse(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!form.get('From') && !form.get('MessagingServiceSid'))
      return refuse(400, 21603, "A 'From' phone number is required.");
    const body = form.get('Body') ?? '';
    if (!body && !form.has('MediaUrl') && !form.has('ContentSid'))
      return refuse(400, 21602, 'Message body is required.');
    if (body.length > MAX_BODY)
      return refuse(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const statusCallback = form.get('StatusCallback');
    if (statusCallback !== null && !/^https?:\/\/[^_/]+\//.test(`${statusCallback}/`))
      return refuse(400, 21609, 'Invalid StatusCallback URL.');
    if (unsubscribed.has(to)) return refuse(400, 21610, 'Attempt to send to unsubscribed recipient');

    const failure = failures.shift();
    if (failure && !failure.afterTaking) {
      const [code, text] = PROVIDER_ERRORS[failure.status] ?? [20500, 'Internal Server Error'];
      return refuse(failure.status, code, text);
    }
    const message: FakeMessage = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      to,
      body,
      from: form.get('From'),
      messagingServiceSid: form.get('MessagingServiceSid'),
      statusCallback,
      at: Date.now(),
      status: form.get('MessagingServiceSid') ? 'accepted' : 'queued',
      sentAt: null,
    };
    // The answer describes the message as it was taken, whatever happened to it since.
    const asTaken = { status: message.status, sentAt: null, from: message.from };
    messages.push(message);
    waiting.push(message);
    taken += 1;
    if (failure) {
      const [code, text] = PROVIDER_ERRORS[failure.status] ?? [20500, 'Internal Server Error'];
      return refuse(failure.status, code, text);
    }
    if (fake.callbackBeforeAnswer && fake.callbacks) {
      waiting.splice(waiting.indexOf(message), 1);
      await leave(message);
    }
    if (fake.lateAnswers && taken % fake.lateAnswers.every === 0) await sleep(fake.lateAnswers.delayMs);
    if (fake.latencyMs > 0) await sleep(fake.latencyMs);
    requests.push({ to, status: 201 });
    answer(request, response, 201, resource(message, asTaken));
  }

  async function handle(incoming: IncomingMessage, response: ServerResponse) {
    const url = new URL(incoming.url ?? '/', 'http://fake');
    const method = incoming.method ?? 'GET';
    const form = method === 'POST' ? await readForm(incoming) : url.searchParams;
    const request = { method, path: url.pathname, params: form };
    if (incoming.headers.authorization !== expectedAuth) {
      return answer(request, response, 401, errorBody(401, 20003, 'Authenticate'));
    }
    if (url.pathname !== path) {
      return answer(
        request,
        response,
        404,
        errorBody(404, 20404, `The requested resource ${url.pathname} was not found`),
      );
    }
    if (method === 'GET') {
      listRequests.push(url.search);
      const failure = failures.shift();
      if (failure) {
        const [code, text] = PROVIDER_ERRORS[failure.status] ?? [20500, 'Internal Server Error'];
        return answer(request, response, failure.status, errorBody(failure.status, code, text));
      }
      return list(url, request, response);
    }
    if (method !== 'POST') return answer(request, response, 405, errorBody(405, 20004, 'Method not allowed'));
    if (held) await new Promise<void>((resolve) => held?.push(resolve));
    return create(form, request, response);
  }

  function release() {
    const waiting = held ?? [];
    held = null;
    for (const resolve of waiting) resolve();
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      problems.push(`the fake failed: ${String(error)}`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeTwilio = {
    url: `http://127.0.0.1:${port}`,
    messages,
    requests,
    listRequests,
    exchanges,
    problems,
    unsubscribed,
    latencyMs: 0,
    throughput: null,
    deliver: false,
    lateAnswers: null,
    callbacks: null,
    callbackBeforeAnswer: false,
    failNext(count, status, options = {}) {
      for (let i = 0; i < count; i++) failures.push({ status, afterTaking: options.afterTaking ?? false });
    },
    queued: () => messages.filter((m) => m.sentAt === null),
    hold() {
      held ??= [];
    },
    release,
    async close() {
      clearInterval(drain);
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (problems.length > 0) {
        throw new Error(
          `the fake Twilio answered outside Twilio's definition:\n${problems.slice(0, 10).join('\n')}`,
        );
      }
    },
  };
  return fake;
}
