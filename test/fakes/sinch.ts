import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * Sinch Fax API v3 as the official client's models describe it (test/fixtures/providers/sinch/, taken from
 * sinch/sinch-sdk-node's packages/fax and @sinch/fax 1.4.0): requests are checked against the send and
 * list models (an unknown field, a wrong type or a `createTime>` with milliseconds is answered 400, and
 * recorded as a violation), every fax it answers holds only the fax model's fields and values, and a failed
 * fax carries one of Sinch's own errorType / errorCode / errorMessage triples.
 */
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/providers/sinch/${name}.json`, import.meta.url), 'utf8'));
type FieldType = string;
const FAX_MODEL: { fields: Record<string, FieldType>; enums: Record<string, string[]> } = fixture('fax');
const SEND_MODEL: {
  required: string[];
  fields: Record<string, FieldType>;
  limits: Record<string, { maxLength?: number; minimum?: number; maximum?: number }>;
  base64FileTypes: string[];
} = fixture('send');
const LIST_MODEL: {
  query: string[];
  createTimeBoundary: string;
  pageSize: { default: number; maximum: number };
} = fixture('list');
const ERRORS: Record<string, Array<{ code: number; message: string }>> = fixture('errors');
const HTTP_ERRORS: { statusByCode: Record<string, string> } = fixture('http-errors');

export type SinchErrorType =
  | 'CALL_ERROR'
  | 'FAX_ERROR'
  | 'DOCUMENT_CONVERSION_ERROR'
  | 'LINE_ERROR'
  | 'FATAL_ERROR';
/** One of Sinch's listed failures, by type and code; its message is Sinch's own, from the fixture. */
export interface SinchFailureCode {
  errorType: SinchErrorType;
  errorCode: number;
  /** Pages that went through before it failed (a part received in part). */
  pagesSent?: number;
}

/** Short names for the failures the tests use most, each a real Sinch type and code. */
const NAMED = {
  busy: { errorType: 'CALL_ERROR', errorCode: 17 }, // Busy
  'no-answer': { errorType: 'CALL_ERROR', errorCode: 16 }, // Ring Timeout
  'not-a-fax': { errorType: 'FAX_ERROR', errorCode: 132 }, // No fax tone detected
  'invalid-number': { errorType: 'CALL_ERROR', errorCode: 49 }, // The destination phone number Is Not active
  partial: { errorType: 'FAX_ERROR', errorCode: 131, pagesSent: 1 }, // Incomplete transmission
  line: { errorType: 'CALL_ERROR', errorCode: 11 }, // The call dropped prematurely
} as const satisfies Record<string, SinchFailureCode>;

/** How one transmission to a number ends; `hang` never ends: the fax stays IN_PROGRESS. */
export type FakeOutcome = 'hang' | 'success' | keyof typeof NAMED | SinchFailureCode;

/** Sinch's message for a listed failure; a code in no list has none, as Sinch would give its own. */
export function sinchMessage(errorType: string, errorCode: number): string {
  return ERRORS[errorType]?.find((entry) => entry.code === errorCode)?.message ?? 'Unknown error';
}

export interface FakeFax {
  id: string;
  projectId: string;
  status: 'QUEUED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILURE';
  direction: 'OUTBOUND';
  to: string;
  createTime: string;
  labels: Record<string, string>;
  callbackUrl?: string;
  callbackUrlContentType: string;
  maxRetries?: number;
  retryCount: number;
  completedTime?: string;
  numberOfPages: number;
  pagesSentSuccessfully?: number;
  hasFile: string;
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
  /** The request's fields as Sinch read them (the file left out). */
  request: Record<string, unknown>;
}

/** A callback the fake posted, and how the product answered it. */
export interface FakeCallback {
  contentType: string;
  bytes: number;
  status: number | null;
}

export interface FakeSinch {
  url: string;
  projectId: string;
  keyId: string;
  keySecret: string;
  submissions: FakeSubmission[];
  callbacks: FakeCallback[];
  /** Every request refused as the models do not allow it, and every answer the models would not allow. */
  violations: string[];
  /** Every list query received (its parameters as read). */
  listQueries: Array<Record<string, string>>;
  /** The outcomes of the next transmissions to a number, in order; then `success`. */
  script(number: string, outcomes: FakeOutcome[]): void;
  /** A number that fails the same way every time (until called with null). */
  always(number: string, outcome: FakeOutcome | null): void;
  /**
   * Every create answered with this HTTP status and Sinch's error body (402 out of credit, 403 …), until
   * called with null; `field` names a field violation (a 400 about `to` is the number's).
   */
  refuseCreates(status: number | null, field?: string): void;
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

/** Sinch's platform error body (http-errors.json). */
function sinchError(status: number, message: string, field?: string) {
  return {
    error: {
      code: status,
      message,
      status: HTTP_ERRORS.statusByCode[String(status)] ?? 'UNKNOWN',
      details: field ? [{ type: 'BadRequest', fieldViolations: [{ field, description: message }] }] : [],
    },
  };
}

const isInteger = (value: unknown) => typeof value === 'number' && Number.isInteger(value);
const isStringMap = (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((entry) => typeof entry === 'string');
const E164 = /^\+[1-9]\d{7,14}$/;

/** Whether `value` is of a fixture's field type; null when it is, else what is wrong. */
function typeProblem(type: FieldType, value: unknown): string | null {
  const ok = (() => {
    switch (type) {
      case 'string':
        return typeof value === 'string';
      case 'e164':
        return typeof value === 'string' && E164.test(value);
      case 'integer':
        return isInteger(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'date-time':
        return typeof value === 'string' && !Number.isNaN(Date.parse(value));
      case 'string-map':
        return isStringMap(value);
      case 'object':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      case 'array':
        return Array.isArray(value);
      case 'string-or-array':
        return typeof value === 'string' || Array.isArray(value);
      case 'base64-files':
        return (
          Array.isArray(value) &&
          value.length > 0 &&
          value.every(
            (file) =>
              isStringMap(file) &&
              Object.keys(file).every((key) => key === 'file' || key === 'fileType') &&
              /^[A-Za-z0-9+/]+={0,2}$/.test((file as { file?: string }).file ?? '') &&
              SEND_MODEL.base64FileTypes.includes((file as { fileType?: string }).fileType ?? ''),
          )
        );
      default:
        return false;
    }
  })();
  return ok ? null : `must be ${type}`;
}

/** What in a JSON send body the SingleFaxRequestJson model does not allow: [field, problem]. */
export function sendProblems(fields: Record<string, unknown>): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  for (const name of SEND_MODEL.required) if (!(name in fields)) problems.push([name, 'is required']);
  for (const [name, value] of Object.entries(fields)) {
    const type = SEND_MODEL.fields[name];
    if (type === undefined) {
      problems.push([name, 'is not a field of the request']);
      continue;
    }
    const problem = typeProblem(type, value);
    if (problem) problems.push([name, problem]);
    const limit = SEND_MODEL.limits[name];
    if (limit?.maxLength !== undefined && String(value).length > limit.maxLength)
      problems.push([name, `is longer than ${limit.maxLength}`]);
    if (limit?.minimum !== undefined && Number(value) < limit.minimum)
      problems.push([name, `is below ${limit.minimum}`]);
    if (limit?.maximum !== undefined && Number(value) > limit.maximum)
      problems.push([name, `is above ${limit.maximum}`]);
  }
  for (const name of ['callbackUrlContentType', 'imageConversionMethod', 'resolution'] as const) {
    const allowed = FAX_MODEL.enums[name];
    if (name in fields && allowed && !allowed.includes(fields[name] as string))
      problems.push([name, `must be one of ${allowed.join(', ')}`]);
  }
  return problems;
}

/** What in a list query the ListFaxesRequestData model does not allow. */
export function listProblems(query: URLSearchParams): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const boundary = new RegExp(LIST_MODEL.createTimeBoundary);
  for (const [name, value] of query) {
    if (!LIST_MODEL.query.includes(name)) problems.push([name, 'is not a filter of the list']);
    if (name.startsWith('createTime') && !boundary.test(value))
      problems.push([name, `must be YYYY[-MM[-DD[Thh:mm:ssZ]]] (got ${value})`]);
    if (name === 'direction' && !FAX_MODEL.enums.direction?.includes(value))
      problems.push([name, 'must be OUTBOUND or INBOUND']);
    if (name === 'status' && !FAX_MODEL.enums.status?.includes(value)) problems.push([name, 'is no status']);
    if (name === 'pageSize' && !(/^\d+$/.test(value) && Number(value) <= LIST_MODEL.pageSize.maximum))
      problems.push([name, `must be an integer up to ${LIST_MODEL.pageSize.maximum}`]);
    if (name === 'page' && !/^[1-9]\d*$/.test(value)) problems.push([name, 'must be a page number from 1']);
  }
  return problems;
}

/** What in a fax answered the Fax model does not allow; a listed failure's message must be Sinch's. */
export function faxProblems(fax: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(fax)) {
    const type = FAX_MODEL.fields[name];
    if (type === undefined) problems.push(`fax.${name} is not a field of the Fax model`);
    else if (typeProblem(type, value)) problems.push(`fax.${name} ${typeProblem(type, value)}`);
    const allowed = FAX_MODEL.enums[name];
    if (allowed && !allowed.includes(value as string))
      problems.push(`fax.${name} is no ${name} Sinch reports`);
  }
  if (typeof fax.errorType === 'string' && ERRORS[fax.errorType] && typeof fax.errorCode === 'number') {
    const message = sinchMessage(fax.errorType, fax.errorCode);
    if (fax.errorMessage !== message)
      problems.push(`fax.errorMessage is not Sinch's for ${fax.errorType} ${fax.errorCode}`);
  }
  return problems;
}

/**
 * Sinch Fax API v3 and its OAuth2 token endpoint, at the HTTP level: faxes are QUEUED, then settle after
 * `settleMs` as each number's script says, and the callbackUrl (if any) is POSTed the fax, as JSON with the
 * document in base64 (`file`) when `callbackUrlContentType` is application/json, as multipart otherwise.
 * It reports no call duration and no remote CSID, as Sinch does not.
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
  const pdfs = new Map<string, Buffer>();
  const scripts = new Map<string, FakeOutcome[]>();
  const always = new Map<string, FakeOutcome>();
  const doubled = new Set<string>();
  const submissions: FakeSubmission[] = [];
  const callbacks: FakeCallback[] = [];
  const violations: string[] = [];
  const listQueries: Array<Record<string, string>> = [];
  let refusal: { status: number; field?: string } | null = null;
  const timers = new Set<NodeJS.Timeout>();
  const prefix = `/v3/projects/${projectId}/faxes`;

  /** Every fax leaves the fake through here: one that the model would not allow is a violation. */
  function answerFax(response: ServerResponse, status: number, fax: FakeFax) {
    for (const problem of faxProblems(fax as unknown as Record<string, unknown>)) violations.push(problem);
    json(response, status, fax);
  }

  function refuseRequest(response: ServerResponse, what: string, problems: Array<[string, string]>) {
    for (const [field, problem] of problems) violations.push(`${what}: ${field} ${problem}`);
    const [field, problem] = problems[0] as [string, string];
    json(response, 400, sinchError(400, `${field} ${problem}`, field));
  }

  function postCallback(fax: FakeFax) {
    const { callbackUrl } = fax;
    if (options.callbacks === false || !callbackUrl) return;
    const event = { event: 'FAX_COMPLETED', eventTime: new Date().toISOString(), fax };
    const pdf = pdfs.get(fax.id) ?? Buffer.alloc(0);
    let request: { body: string | FormData; headers: Record<string, string> };
    if (fax.callbackUrlContentType === 'application/json') {
      request = {
        body: JSON.stringify({ ...event, file: pdf.toString('base64'), fileType: 'PDF' }),
        headers: { 'content-type': 'application/json' },
      };
    } else {
      const form = new FormData();
      form.set('event', event.event);
      form.set('eventTime', event.eventTime);
      form.set('fax', JSON.stringify(fax));
      form.set('file', new Blob([pdf], { type: 'application/pdf' }), `${fax.id}.pdf`);
      request = { body: form, headers: {} };
    }
    for (let copy = doubled.has(fax.to) ? 2 : 1; copy > 0; copy--) {
      const sent: FakeCallback = {
        contentType: fax.callbackUrlContentType,
        bytes: typeof request.body === 'string' ? Buffer.byteLength(request.body) : pdf.length,
        status: null,
      };
      callbacks.push(sent);
      fetch(callbackUrl, { method: 'POST', ...request })
        .then((answer) => {
          sent.status = answer.status;
        })
        .catch(() => {});
    }
  }

  function settle(fax: FakeFax, outcome: FakeOutcome) {
    fax.status = 'IN_PROGRESS';
    if (outcome === 'hang') return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fax.completedTime = new Date().toISOString();
      if (outcome === 'success') {
        fax.status = 'COMPLETED';
        fax.pagesSentSuccessfully = fax.numberOfPages;
      } else {
        const failure: SinchFailureCode = typeof outcome === 'string' ? NAMED[outcome] : outcome;
        Object.assign(fax, {
          status: 'FAILURE',
          errorType: failure.errorType,
          errorCode: failure.errorCode,
          errorMessage: sinchMessage(failure.errorType, failure.errorCode),
          pagesSentSuccessfully: failure.pagesSent ?? 0,
        });
      }
      postCallback(fax);
    }, settleMs);
    timers.add(timer);
  }

  /** A JSON send, or a multipart one (every field a text part; a map such as `labels` cannot be one). */
  async function readCreate(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<{ fields: Record<string, unknown>; pdf: Buffer; encoding: string } | null> {
    const raw = await body(request);
    const type = request.headers['content-type'] ?? '';
    if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': type },
        body: raw,
      }).formData();
      const file = form.get('file');
      const fields: Record<string, unknown> = {};
      const problems: Array<[string, string]> = [];
      for (const [name, value] of form) {
        if (name === 'file') continue;
        const fieldType = SEND_MODEL.fields[name];
        if (fieldType === undefined || fieldType === 'base64-files')
          problems.push([name, 'is not a form field']);
        else if (fieldType === 'string-map') problems.push([name, 'cannot be sent as one text part']);
        else fields[name] = fieldType === 'integer' ? Number(value) : value;
      }
      if (!(file instanceof Blob)) problems.push(['file', 'is required']);
      if (problems.length > 0) {
        refuseRequest(response, 'create fax', problems);
        return null;
      }
      return { fields, pdf: Buffer.from(await (file as Blob).arrayBuffer()), encoding: 'multipart' };
    }
    if (!type.startsWith('application/json')) {
      json(response, 415, sinchError(415, `Content-Type ${type} is not supported`));
      return null;
    }
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(raw.toString('utf8'));
    } catch {
      json(response, 400, sinchError(400, 'The body is not JSON'));
      return null;
    }
    const problems = sendProblems(fields);
    if (problems.length > 0) {
      refuseRequest(response, 'create fax', problems);
      return null;
    }
    const { files, ...rest } = fields as { files: Array<{ file: string }> };
    return { fields: rest, pdf: Buffer.from(files[0]?.file ?? '', 'base64'), encoding: 'json' };
  }

  async function create(request: IncomingMessage, response: ServerResponse) {
    const read = await readCreate(request, response);
    if (!read) return;
    const { fields, pdf, encoding } = read;
    if (typeof fields.to !== 'string' || !E164.test(fields.to)) {
      return refuseRequest(response, 'create fax', [['to', 'must be E.164']]);
    }
    if (refusal) {
      const { status, field } = refusal;
      return json(response, status, sinchError(status, `Refused (${status})`, field));
    }
    // A client gone before the fax was made (killed while sending) made no fax.
    if (request.socket.destroyed) return;
    const id = `01${randomUUID().replaceAll('-', '').toUpperCase()}`;
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length;
    const fax: FakeFax = {
      id,
      projectId,
      status: 'QUEUED',
      direction: 'OUTBOUND',
      to: fields.to,
      createTime: new Date().toISOString(),
      labels: isStringMap(fields.labels) ? (fields.labels as Record<string, string>) : {},
      ...(typeof fields.callbackUrl === 'string' ? { callbackUrl: fields.callbackUrl } : {}),
      // The client's default when none is given (faxes-api.ts send).
      callbackUrlContentType:
        typeof fields.callbackUrlContentType === 'string'
          ? fields.callbackUrlContentType
          : 'multipart/form-data',
      ...(typeof fields.maxRetries === 'number' ? { maxRetries: fields.maxRetries } : {}),
      retryCount: 0,
      numberOfPages: pages,
      hasFile: 'true',
    };
    const pdfFile = join(options.dir, `${id}.pdf`);
    writeFileSync(pdfFile, pdf);
    pdfs.set(id, pdf);
    const queued = scripts.get(fax.to);
    const outcome = always.get(fax.to) ?? queued?.shift() ?? 'success';
    faxes.set(id, fax);
    submissions.push({ fax, outcome, pdfFile, encoding, request: fields });
    settle(fax, outcome);
    if (options.answerAfterMs) await new Promise((resolve) => setTimeout(resolve, options.answerAfterMs));
    answerFax(response, 200, fax);
  }

  function list(url: URL, response: ServerResponse) {
    const problems = listProblems(url.searchParams);
    if (problems.length > 0) return refuseRequest(response, 'list faxes', problems);
    const query = Object.fromEntries(url.searchParams);
    listQueries.push(query);
    const { to, direction } = query;
    // A boundary of whole seconds, or a shorter date, as Sinch documents them.
    const since = query['createTime>'] ? Date.parse(query['createTime>']) : null;
    const found = [...faxes.values()].filter(
      (fax) =>
        (!to || fax.to.startsWith(to)) &&
        (!direction || fax.direction === direction) &&
        (since === null || Date.parse(fax.createTime) >= since),
    );
    const pageSize = Number(query.pageSize ?? LIST_MODEL.pageSize.default);
    const page = Number(query.page ?? 1);
    const totalPages = Math.max(1, Math.ceil(found.length / pageSize));
    const slice = found.slice((page - 1) * pageSize, page * pageSize);
    for (const fax of slice)
      for (const problem of faxProblems(fax as unknown as Record<string, unknown>)) violations.push(problem);
    json(response, 200, { faxes: slice, page, pageSize, totalItems: found.length, totalPages });
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
      return json(response, 200, { access_token: token, expires_in: 3599, token_type: 'bearer', scope: '' });
    }
    const bearer = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!tokens.has(bearer)) return json(response, 401, sinchError(401, 'Unauthorized'));
    if (request.method === 'POST' && url.pathname === prefix) return create(request, response);
    if (request.method === 'GET' && url.pathname === prefix) return list(url, response);
    if (request.method === 'GET' && url.pathname.startsWith(`${prefix}/`)) {
      const fax = faxes.get(decodeURIComponent(url.pathname.slice(prefix.length + 1)));
      return fax ? answerFax(response, 200, fax) : json(response, 404, sinchError(404, 'Fax not found'));
    }
    json(response, 404, sinchError(404, 'Not found'));
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => json(response, 500, sinchError(500, error.message)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    projectId,
    keyId,
    keySecret,
    submissions,
    callbacks,
    violations,
    listQueries,
    script(number, outcomes) {
      scripts.set(number, [...outcomes]);
    },
    always(number, outcome) {
      if (outcome === null) always.delete(number);
      else always.set(number, outcome);
    },
    refuseCreates(status, field) {
      refusal = status === null ? null : { status, ...(field ? { field } : {}) };
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
