import { randomBytes } from 'node:crypto';
import twilio from 'twilio';

/**
 * Plays Twilio's part for one inbound text: a form POST signed exactly as Twilio signs it. Used by the
 * `sms` command, so a new user can "text" the shortcode from a terminal, and by tests and benchmarks.
 */
export interface SimulatedText {
  /** Where the request goes (the running server). */
  serverUrl: string;
  /** The public URL Twilio would call; the signature covers it. */
  publicBaseUrl: string;
  authToken: string;
  accountSid: string;
  from: string;
  to?: string;
  body: string;
  messageSid?: string;
  /** More Twilio parameters, such as OptOutType. */
  extra?: Record<string, string>;
  /** The webhook's path: the primary URL unless told (`/webhooks/twilio/sms-fallback`). */
  path?: string;
}

export interface SimulatedReply {
  status: number;
  twiml: string;
  /** The texts of the <Message> elements, unescaped. */
  messages: string[];
}

export const DEFAULT_SHORTCODE = '70505';

export function newMessageSid(): string {
  return `SM${randomBytes(16).toString('hex')}`;
}

export function signedSmsRequest(text: SimulatedText): {
  url: string;
  headers: Record<string, string>;
  body: string;
} {
  const path = text.path ?? '/webhooks/twilio/sms';
  const params: Record<string, string> = {
    MessageSid: text.messageSid ?? newMessageSid(),
    AccountSid: text.accountSid,
    From: text.from,
    To: text.to ?? DEFAULT_SHORTCODE,
    Body: text.body,
    NumMedia: '0',
    NumSegments: '1',
    ApiVersion: '2010-04-01',
    ...text.extra,
  };
  const signature = twilio.getExpectedTwilioSignature(text.authToken, `${text.publicBaseUrl}${path}`, params);
  return {
    url: `${text.serverUrl}${path}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function twimlMessages(twiml: string): string[] {
  return [...twiml.matchAll(/<Message>([\s\S]*?)<\/Message>/g)].map((match) =>
    (match[1] ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name] ?? ''),
  );
}

export async function sendSimulatedText(text: SimulatedText): Promise<SimulatedReply> {
  const request = signedSmsRequest(text);
  const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
  const twiml = await response.text();
  return { status: response.status, twiml, messages: response.ok ? twimlMessages(twiml) : [] };
}
