import type { FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { UNSAFE_CHARACTER } from '../text.js';

/**
 * Twilio's side of a webhook: its signature is checked against the URL Twilio was told to call,
 * built from PUBLIC_BASE_URL and never from request headers, which a caller controls.
 */
export function isSignedByTwilio(request: FastifyRequest, authToken: string, publicBaseUrl: string): boolean {
  const signature = request.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || signature === '') return false;
  const params = (request.body ?? {}) as Record<string, unknown>;
  try {
    return twilio.validateRequest(authToken, signature, `${publicBaseUrl}${request.url}`, params);
  } catch {
    // A body the library cannot turn into text (JSON with an object whose toString is not a function)
    // was not Twilio's.
    return false;
  }
}

/** A Twilio SID is letters and digits (SM…, MM…); nothing else is looked up or stored as one. */
const SID = /^[A-Za-z0-9]{2,64}$/;

/**
 * The named fields of a Twilio webhook, each a single string, or why not. Twilio sends each field once,
 * as text; anything else (a field repeated or not text, a sid of another shape, a control character
 * where a number goes) is answered 400 before it reaches the database.
 */
export function twilioFields(
  body: unknown,
  names: readonly string[],
): { fields: Record<string, string | undefined> } | { problem: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { problem: 'The body must be a form of Twilio fields.' };
  }
  const fields: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = (body as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return { problem: `${name} must be given once, as text.` };
    const plausible = name.endsWith('Sid')
      ? SID.test(value)
      : name === 'Body' || (value.length <= 64 && !UNSAFE_CHARACTER.test(value));
    if (!plausible) {
      return { problem: `${name} is not a value Twilio sends.` };
    }
    fields[name] = value;
  }
  return { fields };
}

/** TwiML for a reply; an empty text gives an empty <Response/> (no message is sent). */
export function messagingTwiml(text: string): string {
  const response = new twilio.twiml.MessagingResponse();
  if (text !== '') response.message(text);
  return response.toString();
}
