import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Twilio's Messages API at the HTTP level, so that the real `twilio` package and our adapter run in
 * tests and benchmarks: form-encoded POSTs with basic auth, answered as Twilio answers, with scriptable
 * failures. It records every message it took, numbers included (only tests read them).
 */
export interface FakeMessage {
  sid: string;
  to: string;
  body: string;
  from: string | null;
  messagingServiceSid: string | null;
  statusCallback: string | null;
  /** Date.now() when it was taken. */
  at: number;
}

export interface FakeTwilio {
  url: string;
  /** Messages taken (201), in order. */
  messages: FakeMessage[];
  /** Every request to the Messages endpoint, including the refused ones: the number and the status. */
  requests: Array<{ to: string; status: number }>;
  /** The query of every list (GET) request, in order. */
  listRequests: string[];
  /** The next `count` requests (sends or lists) are answered with `status` (400, 429 or 5xx) first. */
  failNext(count: number, status: number): void;
  /** Numbers that replied STOP to Twilio: a message to one gets 400 with error 21610. */
  unsubscribed: Set<string>;
  /**
   * Milliseconds between taking a message (its `at`) and answering 201, as a real API's latency: the
   * message has left while the sender still waits for the answer.
   */
  latencyMs: number;
  /** Holds every answer until `release()` (to catch a broadcast in the middle). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

const ERRORS: Record<number, { code: number; message: string }> = {
  400: { code: 21211, message: "Invalid 'To' Phone Number" },
  429: { code: 20429, message: 'Too Many Requests' },
  500: { code: 20500, message: 'Internal Server Error' },
  503: { code: 20503, message: 'Service Unavailable' },
};

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function fail(response: ServerResponse, status: number): void {
  const error = ERRORS[status] ?? { code: 20500, message: 'Error' };
  send(response, status, { ...error, more_info: 'https://www.twilio.com/docs/errors', status });
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startFakeTwilio(accountSid: string, authToken: string): Promise<FakeTwilio> {
  const messages: FakeMessage[] = [];
  const requests: FakeTwilio['requests'] = [];
  const listRequests: string[] = [];
  const unsubscribed = new Set<string>();
  const failures: number[] = [];
  let held: Array<() => void> | null = null;
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;

  /** Twilio's resource shape for one message; the fake sends at once, so date_sent is its creation. */
  function resource(message: FakeMessage) {
    const date = new Date(message.at).toUTCString();
    return {
      sid: message.sid,
      account_sid: accountSid,
      messaging_service_sid: message.messagingServiceSid,
      from: message.from,
      to: message.to,
      body: message.body,
      status: 'sent',
      num_segments: '1',
      num_media: '0',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      price: null,
      price_unit: 'USD',
      error_code: null,
      error_message: null,
      date_created: date,
      date_updated: date,
      date_sent: date,
      uri: `${path.replace('.json', '')}/${message.sid}.json`,
      subresource_uris: { media: `${path.replace('.json', '')}/${message.sid}/Media.json` },
    };
  }

  /**
   * Read Multiple Message Resources: filtered by `To` and `DateSent>`, newest first, `PageSize` a page,
   * with Twilio's paging fields (`Page` and `PageToken` in `next_page_uri`).
   */
  function list(url: URL, response: ServerResponse) {
    listRequests.push(url.search);
    const to = url.searchParams.get('To');
    const sentAfter = url.searchParams.get('DateSent>');
    const after = sentAfter ? Date.parse(sentAfter) : Number.NEGATIVE_INFINITY;
    const pageSize = Math.min(Number(url.searchParams.get('PageSize') ?? 50) || 50, 1000);
    const page = Number(url.searchParams.get('Page') ?? 0) || 0;
    const matching = messages
      .filter((message) => (to === null || message.to === to) && message.at >= after)
      .reverse();
    const items = matching.slice(page * pageSize, (page + 1) * pageSize);
    const pageUri = (n: number) => {
      const query = new URLSearchParams(url.searchParams);
      query.set('PageSize', String(pageSize));
      query.set('Page', String(n));
      if (n > 0) query.set('PageToken', `PA${n}`);
      else query.delete('PageToken');
      return `${path}?${query}`;
    };
    send(response, 200, {
      messages: items.map(resource),
      end: page * pageSize + Math.max(items.length - 1, 0),
      first_page_uri: pageUri(0),
      next_page_uri: (page + 1) * pageSize < matching.length ? pageUri(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start: page * pageSize,
      uri: `${path}${url.search}`,
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (request.method === 'GET' && url.pathname === path) {
      if (request.headers.authorization !== expectedAuth) {
        return send(response, 401, { code: 20003, message: 'Authenticate', status: 401 });
      }
      const failure = failures.shift();
      if (failure !== undefined) return fail(response, failure);
      return list(url, response);
    }
    if (request.method !== 'POST' || request.url !== path) {
      return send(response, 404, {
        code: 20404,
        message: 'The requested resource was not found',
        status: 404,
      });
    }
    if (request.headers.authorization !== expectedAuth) {
      return send(response, 401, { code: 20003, message: 'Authenticate', status: 401 });
    }
    const form = await readForm(request);
    if (held) await new Promise<void>((resolve) => held?.push(resolve));
    const to = form.get('To') ?? '';
    const body = form.get('Body') ?? '';
    const failure = failures.shift();
    if (failure !== undefined) {
      requests.push({ to, status: failure });
      return fail(response, failure);
    }
    if (!to || !body || (!form.get('From') && !form.get('MessagingServiceSid'))) {
      requests.push({ to, status: 400 });
      return send(response, 400, { code: 21604, message: "A 'To' phone number is required.", status: 400 });
    }
    if (unsubscribed.has(to)) {
      requests.push({ to, status: 400 });
      return send(response, 400, {
        code: 21610,
        message: 'Attempt to send to unsubscribed recipient',
        more_info: 'https://www.twilio.com/docs/errors/21610',
        status: 400,
      });
    }
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const message: FakeMessage = {
      sid,
      to,
      body,
      from: form.get('From'),
      messagingServiceSid: form.get('MessagingServiceSid'),
      statusCallback: form.get('StatusCallback'),
      at: Date.now(),
    };
    messages.push(message);
    requests.push({ to, status: 201 });
    if (fake.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.latencyMs));
    send(response, 201, {
      ...resource(message),
      status: message.messagingServiceSid ? 'accepted' : 'queued',
      date_sent: null,
    });
  }

  function release() {
    const waiting = held ?? [];
    held = null;
    for (const resolve of waiting) resolve();
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() =>
      send(response, 500, { code: 20500, message: 'fake failed', status: 500 }),
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeTwilio = {
    url: `http://127.0.0.1:${port}`,
    latencyMs: 0,
    messages,
    requests,
    listRequests,
    unsubscribed,
    failNext(count, status) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    hold() {
      held ??= [];
    },
    release,
    async close() {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
