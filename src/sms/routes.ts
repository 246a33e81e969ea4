import type { FastifyInstance } from 'fastify';
import { errorBody } from '../errors.js';
import { isSignedByTwilio, messagingTwiml, twilioFields } from './twilio.js';

const FIELDS = ['MessageSid', 'SmsSid', 'From', 'To', 'Body', 'OptOutType'];

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
    const read = twilioFields(request.body, FIELDS);
    if ('problem' in read) return reply.status(400).send(errorBody('bad_request', read.problem));
    const { fields } = read;
    const messageSid = fields.MessageSid ?? fields.SmsSid;
    if (!messageSid || !fields.From) {
      return reply.status(400).send(errorBody('bad_request', 'MessageSid and From are required.'));
    }
    const answer = await inbound.handle({
      messageSid,
      from: fields.From,
      to: fields.To ?? null,
      body: fields.Body ?? '',
      optOutType: fields.OptOutType ?? null,
    });
    stopTimer();
    return reply.type('text/xml; charset=utf-8').send(messagingTwiml(answer.reply));
  });
}
