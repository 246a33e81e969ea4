import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { DeliveryEvent } from '../state.js';
import { sinchFailure } from './sinch-failures.js';
import { FaxBlocked, type FaxProvider, FaxRejected, type FaxReport } from './types.js';

/**
 * The fields of Sinch's fax object (Fax API v3) that we read: the `Fax` model of @sinch/fax 1.4.0
 * (packages/fax/src/models/v3/fax/fax.ts; test/fixtures/providers/sinch/fax.json).
 */
interface SinchFax {
  id: string;
  status: 'QUEUED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILURE';
  to?: string;
  createTime?: string;
  labels?: Record<string, string>;
  completedTime?: string;
  numberOfPages?: number;
  pagesSentSuccessfully?: number;
  errorType?: string;
  errorCode?: number;
  errorMessage?: string;
}

/** What a fax Sinch reports means for the state machine; the failure's next step is sinch-failures.ts's. */
export function eventOf(fax: SinchFax): DeliveryEvent {
  switch (fax.status) {
    case 'QUEUED':
    case 'IN_PROGRESS':
      return { type: 'in-progress' };
    case 'COMPLETED':
      return { type: 'completed' };
    default: {
      const detail = [fax.errorType, fax.errorCode].filter((part) => part !== undefined).join(' ');
      const { kind } = sinchFailure(fax.errorType, fax.errorCode);
      return {
        type: 'failed',
        kind,
        message: `${fax.errorMessage ?? 'fax failed'}${detail ? ` (${detail})` : ''}`,
        pagesSent: fax.pagesSentSuccessfully ?? 0,
      };
    }
  }
}

function timeOf(text: string | undefined): Date | null {
  const time = text === undefined ? Number.NaN : Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time);
}

/** Sinch reports when the fax ended and the pages that went through; no call length, no remote CSID. */
const reportOf = (fax: SinchFax): FaxReport => ({
  providerFaxId: fax.id,
  event: eventOf(fax),
  facts: {
    completedAt: timeOf(fax.completedTime),
    // A completed fax went through whole.
    pagesSent: fax.pagesSentSuccessfully ?? (fax.status === 'COMPLETED' ? (fax.numberOfPages ?? null) : null),
    durationSeconds: null,
    remoteId: null,
  },
});

/** A token is renewed this long before Sinch says it expires. */
const TOKEN_MARGIN_MS = 60_000;
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * A time as the official client writes a `createTime>` filter: whole seconds in UTC, no milliseconds
 * (@sinch/sdk-client 1.5.0 utils/date.ts formatDate, which @sinch/fax 1.4.0's faxes.list uses).
 */
export const createTimeFilter = (time: Date) => `${time.toISOString().slice(0, 19)}Z`;

/** Sinch's platform error body: `{ error: { code, message, status, details: [{ fieldViolations }] } }`. */
interface SinchError {
  error?: {
    message?: string;
    status?: string;
    details?: Array<{ fieldViolations?: Array<{ field?: string; description?: string }> }>;
  };
}

/** Whether a 400 says the number (the `to` field) is what is wrong, rather than the rest of the request. */
function numberRefused(body: SinchError): boolean {
  return (body.error?.details ?? []).some((detail) =>
    (detail.fieldViolations ?? []).some((violation) => violation.field === 'to'),
  );
}

/**
 * Sinch Fax API v3 over HTTP. The official client (@sinch/fax 1.4.0) is not used: its @sinch/sdk-client
 * 1.5.0 requires @sinch/sdk-core, which is not installed, so it does not load; its multipart send drops
 * `maxRetries: 0` (appended only when truthy) and cannot send `labels`; and it has no request timeout.
 * The requests below are the ones it makes (its JSON send with base64 `files`, its list query), and a
 * test holds each to the SDK's request models (test/fixtures/providers/sinch/).
 */
export function createSinchProvider({
  sinch,
  clock,
  logger,
}: {
  sinch: Config['sinch'];
  clock: () => Date;
  logger: Logger;
}): FaxProvider {
  const { projectId, keyId, keySecret } = sinch;
  if (!projectId || !keyId || !keySecret)
    throw new Error('SINCH_PROJECT_ID, SINCH_KEY_ID and SINCH_KEY_SECRET are required');
  const faxes = `${sinch.faxBaseUrl}/v3/projects/${encodeURIComponent(projectId)}/faxes`;
  let token: { value: string; until: number } | null = null;

  async function accessToken(): Promise<string> {
    if (token && token.until > clock().getTime()) return token.value;
    const response = await fetch(`${sinch.authBaseUrl}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) await refuse(response, 'token');
    const body = (await response.json()) as { access_token: string; expires_in: number };
    token = { value: body.access_token, until: clock().getTime() + body.expires_in * 1000 - TOKEN_MARGIN_MS };
    return token.value;
  }

  /**
   * A 4xx Sinch answered is clear: a 400 naming the number is the number's (next number); the rest (401
   * with a fresh token, 402, 403, 413 …) are the account's or the document's (blocked, counted against no
   * number). 429 and 5xx are thrown plainly, so that the submission is reconciled and tried again.
   */
  async function refuse(response: Response, what: string): Promise<never> {
    const text = await response.text();
    let body: SinchError = {};
    try {
      body = JSON.parse(text) as SinchError;
    } catch {
      // Not Sinch's error shape (a proxy's page, say): the status alone decides.
    }
    const reason = body.error?.message ?? text.slice(0, 200);
    const message = `Sinch ${what}: HTTP ${response.status} ${reason}`;
    const status = response.status;
    if (status === 400 && numberRefused(body)) throw new FaxRejected(message);
    if (status >= 400 && status < 500 && status !== 429) throw new FaxBlocked(message);
    throw new Error(message);
  }

  async function call(url: string, init: RequestInit, what: string): Promise<unknown> {
    const send = async () =>
      fetch(url, {
        ...init,
        headers: { ...init.headers, authorization: `Bearer ${await accessToken()}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    let response = await send();
    // A token Sinch no longer takes (revoked, or expired early): one more try with a new one.
    if (response.status === 401) {
      await response.body?.cancel();
      token = null;
      response = await send();
    }
    if (!response.ok) await refuse(response, what);
    return response.json();
  }

  /** An unknown failure is retried like a line fault; its type and code are logged (never the number). */
  function report(fax: SinchFax): FaxReport {
    if (fax.status === 'FAILURE' && !sinchFailure(fax.errorType, fax.errorCode).known) {
      logger.warn(
        { providerFaxId: fax.id, errorType: fax.errorType, errorCode: fax.errorCode },
        'Sinch reported a failure in none of its lists; trying the same number later',
      );
    }
    return reportOf(fax);
  }

  return {
    name: 'sinch',
    async submit(fax) {
      // The official client's JSON send (SingleFaxRequestJson): labels as a map, maxRetries 0 (retries are
      // ours, so that one state machine sees every attempt), the callback as JSON.
      const body = {
        to: fax.faxNumber,
        files: [{ file: (await readFile(fax.file)).toString('base64'), fileType: 'PDF' }],
        labels: labelsOf(fax.deliveryId, fax.attempt),
        maxRetries: 0,
        ...(fax.callbackUrl
          ? { callbackUrl: fax.callbackUrl, callbackUrlContentType: 'application/json' }
          : {}),
      };
      const created = (await call(
        faxes,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
        },
        'create fax',
      )) as SinchFax;
      return { providerFaxId: created.id, outcome: null };
    },
    async get(providerFaxId) {
      return report(
        (await call(
          `${faxes}/${encodeURIComponent(providerFaxId)}`,
          { headers: { accept: 'application/json' } },
          'get fax',
        )) as SinchFax,
      );
    },
    async findByDelivery({ to, since, deliveryId, attempt }) {
      const wanted = labelsOf(deliveryId, attempt);
      for (let page = 1; ; page++) {
        const query = new URLSearchParams({
          to,
          'createTime>': createTimeFilter(since),
          direction: 'OUTBOUND',
          pageSize: '100',
          page: String(page),
        });
        const body = (await call(
          `${faxes}?${query}`,
          { headers: { accept: 'application/json' } },
          'list faxes',
        )) as {
          faxes?: SinchFax[];
          page?: number;
          totalPages?: number;
        };
        const found = (body.faxes ?? []).find(
          (fax) => fax.labels?.deliveryId === wanted.deliveryId && fax.labels?.attempt === wanted.attempt,
        );
        if (found) return report(found);
        // The official client's paging: more while page < totalPages.
        if ((body.page ?? page) >= (body.totalPages ?? 1)) return null;
      }
    },
  };
}

export const labelsOf = (deliveryId: number | null, attempt: number) => ({
  deliveryId: deliveryId === null ? 'test' : String(deliveryId),
  attempt: String(attempt),
});
