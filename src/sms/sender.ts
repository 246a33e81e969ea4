import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type { Config } from '../config.js';

export interface OutboundSms {
  /** E.164 */
  to: string;
  body: string;
}

export interface SentSms {
  /** The provider's id of the message (Twilio's MessageSid). */
  sid: string;
  status: string;
}

export interface SmsSender {
  readonly name: 'twilio' | 'log';
  send(sms: OutboundSms): Promise<SentSms>;
  /**
   * The message the provider took for this number and text since `since` (when the send was claimed),
   * if any: how a send whose answer never came back (a crash, a timeout, a 5xx) is settled without
   * texting the member twice. Throws a retryable SmsSendError when the provider cannot be asked.
   */
  findSent(sms: OutboundSms, since: Date): Promise<SentSms | null>;
}

/**
 * How far back from the claim the look-up pages: clocks differ, and a text Twilio still holds
 * (`accepted`/`queued`, `date_sent` null) is listed by its `date_created` only.
 */
const LOOKUP_SKEW_MS = 5 * 60_000;
/** Twilio's default page; one page covers every text one number had from us in minutes. */
const LOOKUP_PAGE_SIZE = 50;

/** Twilio refuses to text a number that has replied STOP to the sender. */
export const TWILIO_UNSUBSCRIBED = 21610;

/** A message the provider did not take, or may have. Never carries the number or the text. */
export class SmsSendError extends Error {
  /**
   * No answer, or the provider's own fault (5xx): it may have taken the message. Before anything is
   * sent again the message is looked up (findSent), never created blind: create has no idempotency key.
   */
  readonly unclear: boolean;

  constructor(
    readonly httpStatus: number | null,
    readonly code: number | null,
    /** Worth trying again later: throttled (429), the provider's fault (5xx) or no answer at all. */
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'SmsSendError';
    this.unclear = httpStatus === null || httpStatus >= 500;
  }
}

export function retryableStatus(status: number | null): boolean {
  return status === null || status === 429 || status >= 500;
}

/**
 * Sends every REST call to `apiBaseUrl` instead of Twilio's host (a fake in tests, a proxy in some
 * deployments); the twilio package's `httpClient` option is its supported seam for this.
 */

class RedirectingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    timeout: number,
  ) {
    super({ keepAlive: true, timeout });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const original = new URL(opts.uri);
    const target = new URL(`${original.pathname}${original.search}`, `${this.baseUrl}/`);
    return super.request<TData>({ ...opts, uri: target.href });
  }
}

interface TwilioFailure {
  status?: number;
  code?: number;
}

/** A page of Twilio's message list, as the twilio package reads it. */
interface ListedPage {
  instances: Array<{ sid: string; body: string; direction: string; status: string; dateCreated: Date }>;
  nextPage(): Promise<ListedPage> | undefined;
}

function statusOf(error: unknown): number | null {
  const status = (error as TwilioFailure).status;
  return typeof status === 'number' ? status : null;
}

export function createTwilioSender(config: Config): SmsSender {
  const { accountSid, authToken, apiBaseUrl, messagingServiceSid, smsFrom, timeoutMs } = config.twilio;
  const client = twilio(accountSid, authToken, {
    // Retries are the queue's job (with backoff and a record per attempt), not the client's.
    autoRetry: false,
    timeout: timeoutMs,
    ...(apiBaseUrl ? { httpClient: new RedirectingRequestClient(apiBaseUrl, timeoutMs) } : {}),
  });
  const sender = messagingServiceSid ? { messagingServiceSid } : { from: smsFrom ?? '' };
  const statusCallback = `${config.publicBaseUrl}/webhooks/twilio/status`;

  return {
    name: 'twilio',
    /**
     * Lists the number's messages by `To` alone, newest first, page after page until one is older than
     * the claim less LOOKUP_SKEW_MS: a filter on `DateSent` would miss a text Twilio took and has not
     * sent yet. A match has the same body and was created at or after the claim (Twilio's dates are
     * whole seconds, so from the claim's second).
     */
    async findSent({ to, body }, since) {
      const stopBefore = since.getTime() - LOOKUP_SKEW_MS;
      const claimedSecond = Math.floor(since.getTime() / 1000) * 1000;
      try {
        let page: ListedPage = await client.messages.page({ to, pageSize: LOOKUP_PAGE_SIZE });
        for (;;) {
          for (const message of page.instances) {
            if (
              message.body === body &&
              message.direction.startsWith('outbound') &&
              message.dateCreated.getTime() >= claimedSecond
            ) {
              return { sid: message.sid, status: message.status };
            }
          }
          const oldest = page.instances.at(-1);
          const next = oldest && oldest.dateCreated.getTime() >= stopBefore ? page.nextPage() : undefined;
          if (!next) return null;
          page = await next;
        }
      } catch (error) {
        // The query carries the number: only the status is kept.
        const status = statusOf(error);
        throw new SmsSendError(
          status,
          null,
          true,
          `could not list messages: Twilio answered ${status ?? 'nothing'}`,
        );
      }
    },
    async send({ to, body }) {
      try {
        const message = await client.messages.create({ to, body, statusCallback, ...sender });
        return { sid: message.sid, status: message.status };
      } catch (error) {
        const status = statusOf(error);
        const code = typeof (error as TwilioFailure).code === 'number' ? (error as TwilioFailure).code : null;
        // Twilio's messages may quote the number, so only the status and code are kept.
        const reason = status === null ? 'no answer from Twilio' : `Twilio answered ${status}`;
        throw new SmsSendError(
          status,
          code ?? null,
          retryableStatus(status),
          code ? `${reason} (error ${code})` : reason,
        );
      }
    },
  };
}

/**
 * For development: sends nothing. The message itself is recorded where every message is, in
 * outbound_messages; the log says only that it was not sent, never to whom.
 */
export function createLogSender(logger?: Logger): SmsSender {
  return {
    name: 'log',
    // Nothing left this process, so nothing can have been taken.
    async findSent() {
      return null;
    },
    async send(sms) {
      // Random like Twilio's sids: they are unique across restarts in outbound_messages.
      const sid = `LOG${randomBytes(16).toString('hex')}`;
      logger?.info({ sid, characters: sms.body.length }, 'SMS not sent (SMS_PROVIDER=log)');
      return { sid, status: 'sent' };
    },
  };
}

export function createSmsSender(config: Config, logger?: Logger): SmsSender {
  return config.sms.provider === 'twilio' ? createTwilioSender(config) : createLogSender(logger);
}
