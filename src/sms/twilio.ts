import type { FastifyRequest } from 'fastify';
import twilio from 'twilio';

/**
 * Twilio's side of a webhook: its signature is checked against the URL Twilio was told to call,
 * built from PUBLIC_BASE_URL and never from request headers, which a caller controls.
 */
export function isSignedByTwilio(request: FastifyRequest, authToken: string, publicBaseUrl: string): boolean {
  const signature = request.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || signature === '') return false;
  const params = (request.body ?? {}) as Record<string, unknown>;
  return twilio.validateRequest(authToken, signature, `${publicBaseUrl}${request.url}`, params);
}

/** TwiML for a reply; an empty text gives an empty <Response/> (no message is sent). */
export function messagingTwiml(text: string): string {
  const response = new twilio.twiml.MessagingResponse();
  if (text !== '') response.message(text);
  return response.toString();
}
