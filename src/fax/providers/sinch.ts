import { readFile } from 'node:fs/promises';
import type { Config } from '../../config.js';
import type { DeliveryEvent, FailureKind } from '../state.js';
import { type FaxProvider, FaxRejected, type FaxReport } from './types.js';

/** The fields of Sinch's fax object (Fax API v3) that we read. */
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
  errorCode?: number | string;
  errorMessage?: string;
}

/**
 * How a failed fax maps onto the delivery state machine. Sinch reports an errorType (CALL_ERROR,
 * LINE_ERROR, FAX_ERROR, DOCUMENT_CONVERSION_ERROR …) and a free-text errorMessage; the message says
 * which of ours it is:
 * - "busy" → busy; "no answer" / "not answered" → no-answer (same number later);
 * - "not a fax", "no fax tone", "voice", "human" → not-a-fax; "invalid", "unallocated", "not in
 *   service", "does not exist" → invalid-number (next number at once);
 * - other CALL_ERROR / LINE_ERROR → line; anything else → other (both: same number later).
 */
export function failureKind(fax: Pick<SinchFax, 'errorType' | 'errorMessage'>): FailureKind {
  const message = (fax.errorMessage ?? '').toLowerCase();
  if (/busy/.test(message)) return 'busy';
  if (/no answer|not answered|unanswered/.test(message)) return 'no-answer';
  if (/not a fax|no fax tone|voice|human/.test(message)) return 'not-a-fax';
  if (/invalid|unallocated|not in service|does not exist|unassigned/.test(message)) return 'invalid-number';
  if (fax.errorType === 'CALL_ERROR' || fax.errorType === 'LINE_ERROR') return 'line';
  return 'other';
}

export function eventOf(fax: SinchFax): DeliveryEvent {
  switch (fax.status) {
    case 'QUEUED':
    case 'IN_PROGRESS':
      return { type: 'in-progress' };
    case 'COMPLETED':
      return { type: 'completed' };
    default: {
      const detail = [fax.errorType, fax.errorCode].filter((part) => part !== undefined).join(' ');
      return {
        type: 'failed',
        kind: failureKind(fax),
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

export function createSinchProvider({
  sinch,
  clock,
}: {
  sinch: Config['sinch'];
  clock: () => Date;
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

  /** 4xx: permanent; anything else (5xx): thrown plainly so that the job is tried again. */
  async function refuse(response: Response, what: string): Promise<never> {
    const text = (await response.text()).slice(0, 200);
    const message = `Sinch ${what}: HTTP ${response.status} ${text}`;
    if (response.status === 401) token = null;
    if (
      response.status >= 400 &&
      response.status < 500 &&
      response.status !== 429 &&
      response.status !== 401
    ) {
      throw new FaxRejected(message);
    }
    throw new Error(message);
  }

  async function call(url: string, init: RequestInit, what: string): Promise<unknown> {
    const response = await fetch(url, {
      ...init,
      headers: { ...init.headers, authorization: `Bearer ${await accessToken()}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) await refuse(response, what);
    return response.json();
  }

  return {
    name: 'sinch',
    async submit(fax) {
      const form = new FormData();
      form.set('to', fax.faxNumber);
      if (fax.callbackUrl) {
        form.set('callbackUrl', fax.callbackUrl);
        form.set('callbackUrlContentType', 'application/json');
      }
      // Labels find a submission again after a crash; retries are ours, so that one state machine sees every attempt.
      form.set('labels', JSON.stringify(labelsOf(fax.deliveryId, fax.attempt)));
      form.set('maxRetries', '0');
      const pdf = await readFile(fax.file);
      form.set('file', new Blob([pdf], { type: 'application/pdf' }), 'fax.pdf');
      const created = (await call(faxes, { method: 'POST', body: form }, 'create fax')) as SinchFax;
      return { providerFaxId: created.id, outcome: null };
    },
    async get(providerFaxId) {
      return reportOf(
        (await call(`${faxes}/${encodeURIComponent(providerFaxId)}`, {}, 'get fax')) as SinchFax,
      );
    },
    async findByDelivery({ to, since, deliveryId, attempt }) {
      const wanted = labelsOf(deliveryId, attempt);
      for (let page = 1; ; page++) {
        const query = new URLSearchParams({
          to,
          'createTime>': since.toISOString(),
          direction: 'OUTBOUND',
          pageSize: '100',
          page: String(page),
        });
        const body = (await call(`${faxes}?${query}`, {}, 'list faxes')) as {
          faxes?: SinchFax[];
          totalPages?: number;
        };
        const found = (body.faxes ?? []).find(
          (fax) => fax.labels?.deliveryId === wanted.deliveryId && fax.labels?.attempt === wanted.attempt,
        );
        if (found) return reportOf(found);
        if (page >= (body.totalPages ?? 1)) return null;
      }
    },
  };
}

export const labelsOf = (deliveryId: number | null, attempt: number) => ({
  deliveryId: deliveryId === null ? 'test' : String(deliveryId),
  attempt: String(attempt),
});
