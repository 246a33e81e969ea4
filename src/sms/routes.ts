import type { FastifyInstance } from 'fastify';
import { errorBody } from '../errors.js';
import { isSignedByTwilio, messagingTwiml } from './twilio.js';

interface TwilioSmsBody {
  MessageSid?: string;
  SmsSid?: string;
  From?: string;
  To?: string;
  Body?: string;
  OptOutType?: string;
}

export async function smsWebhookRoutes(app: FastifyInstance) {
  const { config, inbound, metrics } = app.services;
  // Security headers are for browsers; Twilio reads TwiML.
  app.post('/webhooks/twilio/sms', { helmet: false, schema: { hide: true } }, async (request, reply) => {
    const stopTimer = metrics.webhookDuration.startTimer();
    if (!isSignedByTwilio(request, config.twilio.authToken, config.publicBaseUrl)) {
      metrics.smsInbound.inc({ outcome: 'forged' });
      return reply
        .status(403)
        .send(errorBody('bad_signature', 'The X-Twilio-Signature is missing or wrong.'));
    }
    const body = (request.body ?? {}) as TwilioSmsBody;
    const messageSid = body.MessageSid ?? body.SmsSid;
    if (!messageSid || !body.From) {
      return reply.status(400).send(errorBody('bad_request', 'MessageSid and From are required.'));
    }
    const answer = await inbound.handle({
      messageSid,
      from: body.From,
      to: body.To ?? null,
      body: body.Body ?? '',
      optOutType: body.OptOutType ?? null,
    });
    stopTimer();
    return reply.type('text/xml; charset=utf-8').send(messagingTwiml(answer.reply));
  });
}
