import type { FastifyInstance } from 'fastify';
import { errorBody } from '../errors.js';
import { isSignedByTwilio, twilioFields } from '../sms/twilio.js';
import { codeLabel } from './sending.js';

/** Twilio's statuses after it accepted a message; the earlier ones (queued, sending) add nothing. */
const RECORDED = new Set(['sent', 'delivered', 'undelivered', 'failed']);

/** Twilio's delivery reports for the texts we sent (the statusCallback of each message). */
export async function smsStatusRoutes(app: FastifyInstance) {
  const { config, sending, metrics } = app.services;
  app.post('/webhooks/twilio/status', { helmet: false, schema: { hide: true } }, async (request, reply) => {
    if (!isSignedByTwilio(request, config.twilio.authToken, config.publicBaseUrl)) {
      return reply
        .status(403)
        .send(errorBody('bad_signature', 'The X-Twilio-Signature is missing or wrong.'));
    }
    const read = twilioFields(request.body, ['MessageSid', 'MessageStatus', 'ErrorCode']);
    if ('problem' in read) return reply.status(400).send(errorBody('bad_request', read.problem));
    const body = read.fields;
    if (!body.MessageSid || !body.MessageStatus) {
      return reply.status(400).send(errorBody('bad_request', 'MessageSid and MessageStatus are required.'));
    }
    const status = body.MessageStatus;
    if (!RECORDED.has(status)) return reply.status(204).send();
    const errorCode = body.ErrorCode && /^\d{1,9}$/.test(body.ErrorCode) ? Number(body.ErrorCode) : null;
    await sending.recordDeliveryReport(body.MessageSid, status, errorCode);
    metrics.smsDeliveryReports.inc({ status, code: codeLabel(errorCode) });
    return reply.status(204).send();
  });
}
