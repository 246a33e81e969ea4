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
   * The message the provider took for this number and text since `since`, if any: how a send that was
   * interrupted before its answer was recorded is settled without texting the member twice.
   */
  findSent(sms: OutboundSms, since: Date): Promise<SentSms | null>;
}

/** Clocks differ and Twilio dates are to the second: look a little before the claim. */
const RECONCILE_SKEW_MS = 5 * 60_000;
/** Enough to cover every text one number could have had from us in a few minutes. */
const RECONCILE_LIMIT = 200;

/**
 * How long a call to Twilio may take. A send holds its member (see broadcasts/sending.ts) until Twilio
 * answers, so this also bounds how long a STOP waits for a text in flight to that member; it is kept
 * under the inbound webhook's wait for Postgres.
 */
export const TWILIO_TIMEOUT_MS = 6_000;

/** Twilio refuses to text a number that has replied STOP to the sender. */
export const TWILIO_UNSUBSCRIBED = 21610;

/** A message the provider did not take. Never carries the number or the text. */
export class SmsSendError extends Error {
  constructor(
    readonly httpStatus: number | null,
    readonly code: number | null,
    /** Worth trying again later: throttled (429), the provider's fault (5xx) or no answer at all. */
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'SmsSendError';
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
  constructor(private readonly baseUrl: string) {
    super({ keepAlive: true, timeout: TWILIO_TIMEOUT_MS });
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

export function createTwilioSender(config: Config): SmsSender {
  const { accountSid, authToken, apiBaseUrl, messagingServiceSid, smsFrom } = config.twilio;
  const client = twilio(accountSid, authToken, {
    // Retries are the queue's job (with backoff and a record per attempt), not the client's.
    autoRetry: false,
    timeout: TWILIO_TIMEOUT_MS,
    ...(apiBaseUrl ? { httpClient: new RedirectingRequestClient(apiBaseUrl) } : {}),
  });
  const sender = messagingServiceSid ? { messagingServiceSid } : { from: smsFrom ?? '' };
  const statusCallback = `${config.publicBaseUrl}/webhooks/twilio/status`;

  return {
    name: 'twilio',
    async findSent({ to, body }, since) {
      const after = new Date(since.getTime() - RECONCILE_SKEW_MS);
      try {
        const listed = await client.messages.list({
          to,
          dateSentAfter: after,
          pageSize: 50,
          limit: RECONCILE_LIMIT,
        });
        const match = listed.find(
          (message) =>
            message.body === body && message.direction.startsWith('outbound') && message.dateCreated >= after,
        );
        return match ? { sid: match.sid, status: match.status } : null;
      } catch (error) {
        const status =
          typeof (error as TwilioFailure).status === 'number' ? (error as TwilioFailure).status : null;
        throw new SmsSendError(
          status ?? null,
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
        const failure = error as TwilioFailure;
        const status = typeof failure.status === 'number' ? failure.status : null;
        const code = typeof failure.code === 'number' ? failure.code : null;
        // Twilio's messages may quote the number, so only the status and code are kept.
        const reason = status === null ? 'no answer from Twilio' : `Twilio answered ${status}`;
        throw new SmsSendError(
          status,
          code,
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
