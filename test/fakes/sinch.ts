import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** How one transmission to a number ends; `hang` never ends: the fax stays IN_PROGRESS. */
export type FakeOutcome =
  | 'hang'
  | 'success'
  | 'busy'
  | 'no-answer'
  | 'not-a-fax'
  | 'invalid-number'
  | 'partial'
  | 'line';

const FAILURES: Record<
  Exclude<FakeOutcome, 'success' | 'hang'>,
  { errorType: string; errorCode: number; errorMessage: string }
> = {
  busy: { errorType: 'CALL_ERROR', errorCode: 17, errorMessage: 'User busy' },
  'no-answer': { errorType: 'CALL_ERROR', errorCode: 19, errorMessage: 'No answer' },
  'not-a-fax': { errorType: 'FAX_ERROR', errorCode: 21, errorMessage: 'Not a fax machine: voice detected' },
  'invalid-number': { errorType: 'CALL_ERROR', errorCode: 1, errorMessage: 'Unallocated (invalid) number' },
  partial: { errorType: 'FAX_ERROR', errorCode: 49, errorMessage: 'Transmission interrupted' },
  line: { errorType: 'LINE_ERROR', errorCode: 38, errorMessage: 'Network out of order' },
};

export interface FakeFax {
  id: string;
  status: 'QUEUED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILURE';
  direction: 'OUTBOUND';
  to: string;
  createTime: string;
  labels: Record<string, string>;
  callbackUrl?: string;
  maxRetries?: number;
  completedTime?: string;
  numberOfPages?: number;
  pagesSentSuccessfully?: number;
  errorType?: string;
  errorCode?: number;
  errorMessage?: string;
}

export interface FakeSubmission {
  fax: FakeFax;
  outcome: FakeOutcome;
  /** Where the PDF received was written. */
  pdfFile: string;
  /** 'multipart' or 'json' */
  encoding: string;
}

export interface FakeSinch {
  url: string;
  projectId: string;
  keyId: string;
  keySecret: string;
  submissions: FakeSubmission[];
  /** The outcomes of the next transmissions to a number, in order; then `success`. */
  script(number: string, outcomes: FakeOutcome[]): void;
  /** A number that fails the same way every time. */
  always(number: string, outcome: FakeOutcome): void;
  /** Each callback about faxes to this number is posted twice, as a retrying provider might. */
  doubleCallbacks(number: string): void;
  /** The env that points the app at this fake. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(response: ServerResponse, status: number, value: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(value));
}

/**
 * Sinch Fax API v3 and its OAuth2 token endpoint, at the HTTP level: faxes are QUEUED, then settle after
 * `settleMs` as each number's script says, and the callbackUrl (if any) is POSTed the fax as JSON. Only
 * fields Sinch documents: it reports no call duration and no remote CSID.
 */
export async function startFakeSinch(options: {
  dir: string;
  settleMs?: number;
  /** The fax exists (and is listed) this long before the create call answers: a client killed meanwhile never learns its id. */
  answerAfterMs?: number;
  callbacks?: boolean;
}): Promise<FakeSinch> {
  const settleMs = options.settleMs ?? 30;
  const projectId = 'project-1';
  const keyId = 'key-id';
  const keySecret = 'key-secret';
  const tokens = new Set<string>();
  const faxes = new Map<string, FakeFax>();
  const scripts = new Map<string, FakeOutcome[]>();
  const always = new Map<string, FakeOutcome>();
  const doubled = new Set<string>();
  const submissions: FakeSubmission[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const prefix = `/v3/projects/${projectId}/faxes`;

  function settle(fax: FakeFax, outcome: FakeOutcome) {
    fax.status = 'IN_PROGRESS';
    if (outcome === 'hang') return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fax.completedTime = new Date().toISOString();
      if (outcome === 'success') {
        fax.status = 'COMPLETED';
        fax.pagesSentSuccessfully = fax.numberOfPages ?? 1;
      } else {
        Object.assign(fax, { status: 'FAILURE', ...FAILURES[outcome] });
        fax.pagesSentSuccessfully = outcome === 'partial' ? 1 : 0;
      }
      const { callbackUrl } = fax;
      if (options.callbacks !== false && callbackUrl) {
        for (let copy = doubled.has(fax.to) ? 2 : 1; copy > 0; copy--) {
          fetch(callbackUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ event: 'FAX_COMPLETED', eventTime: new Date().toISOString(), fax }),
          }).catch(() => {});
        }
      }
    }, settleMs);
    timers.add(timer);
  }

  async function create(request: IncomingMessage, response: ServerResponse) {
    const raw = await body(request);
    const type = request.headers['content-type'] ?? '';
    let fields: Record<string, unknown>;
    let pdf: Buffer;
    let encoding: string;
    if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': type },
        body: raw,
      }).formData();
      const file = form.get('file');
      if (!(file instanceof Blob)) return json(response, 400, { message: 'file is required' });
      pdf = Buffer.from(await file.arrayBuffer());
      const labels = form.get('labels');
      fields = {
        to: form.get('to'),
        callbackUrl: form.get('callbackUrl') ?? undefined,
        labels: typeof labels === 'string' ? JSON.parse(labels) : {},
        maxRetries: form.get('maxRetries') === null ? undefined : Number(form.get('maxRetries')),
      };
      encoding = 'multipart';
    } else {
      fields = JSON.parse(raw.toString('utf8'));
      const files = fields.files as Array<{ file: string }> | undefined;
      if (!files?.[0]) return json(response, 400, { message: 'files is required' });
      pdf = Buffer.from(files[0].file, 'base64');
      encoding = 'json';
    }
    if (typeof fields.to !== 'string' || !/^\+\d{8,15}$/.test(fields.to)) {
      return json(response, 400, { message: 'to must be E.164' });
    }
    // A client gone before the fax was made (killed while sending) made no fax.
    if (request.socket.destroyed) return;
    const id = `01${randomUUID().replaceAll('-', '').toUpperCase()}`;
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length;
    const fax: FakeFax = {
      id,
      status: 'QUEUED',
      direction: 'OUTBOUND',
      to: fields.to,
      createTime: new Date().toISOString(),
      labels: (fields.labels as Record<string, string>) ?? {},
      ...(typeof fields.callbackUrl === 'string' ? { callbackUrl: fields.callbackUrl } : {}),
      ...(typeof fields.maxRetries === 'number' ? { maxRetries: fields.maxRetries } : {}),
      numberOfPages: pages,
    };
    const pdfFile = join(options.dir, `${id}.pdf`);
    writeFileSync(pdfFile, pdf);
    const queued = scripts.get(fax.to);
    const outcome = always.get(fax.to) ?? queued?.shift() ?? 'success';
    faxes.set(id, fax);
    submissions.push({ fax, outcome, pdfFile, encoding });
    settle(fax, outcome);
    if (options.answerAfterMs) await new Promise((resolve) => setTimeout(resolve, options.answerAfterMs));
    json(response, 200, fax);
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (request.method === 'POST' && url.pathname === '/oauth2/token') {
      const expected = `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`;
      const form = new URLSearchParams((await body(request)).toString('utf8'));
      if (request.headers.authorization !== expected || form.get('grant_type') !== 'client_credentials') {
        return json(response, 401, { error: 'invalid_client' });
      }
      const token = randomUUID();
      tokens.add(token);
      return json(response, 200, { access_token: token, expires_in: 3599, token_type: 'bearer' });
    }
    const bearer = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!tokens.has(bearer)) return json(response, 401, { message: 'unauthorized' });
    if (request.method === 'POST' && url.pathname === prefix) return create(request, response);
    if (request.method === 'GET' && url.pathname === prefix) {
      const to = url.searchParams.get('to');
      const since = url.searchParams.get('createTime>');
      const found = [...faxes.values()].filter(
        (fax) => (!to || fax.to === to) && (!since || fax.createTime > since),
      );
      return json(response, 200, { faxes: found, totalItems: found.length, totalPages: 1, pageNumber: 1 });
    }
    if (request.method === 'GET' && url.pathname.startsWith(`${prefix}/`)) {
      const fax = faxes.get(decodeURIComponent(url.pathname.slice(prefix.length + 1)));
      return fax ? json(response, 200, fax) : json(response, 404, { message: 'not found' });
    }
    json(response, 404, { message: 'no such route' });
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => json(response, 500, { message: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    projectId,
    keyId,
    keySecret,
    submissions,
    script(number, outcomes) {
      scripts.set(number, [...outcomes]);
    },
    always(number, outcome) {
      always.set(number, outcome);
    },
    doubleCallbacks(number) {
      doubled.add(number);
    },
    env: () => ({
      FAX_PROVIDER: 'sinch',
      SINCH_FAX_BASE_URL: url,
      SINCH_AUTH_BASE_URL: url,
      SINCH_PROJECT_ID: projectId,
      SINCH_KEY_ID: keyId,
      SINCH_KEY_SECRET: keySecret,
    }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
