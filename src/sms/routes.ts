import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseTimeoutError, isDatabaseUnreachable } from '../db/unreachable.js';
import { errorBody } from '../errors.js';
import type { InboundAnswer, InboundText } from './inbound.js';
import { isSignedByTwilio, messagingTwiml, twilioFields } from './twilio.js';

const FIELDS = ['MessageSid', 'SmsSid', 'From', 'To', 'Body', 'OptOutType'];

/**
 * How long a text waits for Postgres before it is spooled instead: under Twilio's 15 s webhook timeout.
 * A statement still running then may yet commit; the replay then finds the MessageSid stored and sends
 * the stored reply, so the text is still answered once.
 */
const DATABASE_WAIT_MS = 8_000;

function withinDatabaseWait<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(DATABASE_WAIT_MS)), DATABASE_WAIT_MS);
  });
  // The statement may fail after the wait is over: nobody listens then.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function smsWebhookRoutes(app: FastifyInstance) {
  const { config, inbound, metrics, spool, clock } = app.services;

  /** The signature checked against the route's own URL, and the text read; or the answer already sent. */
  function readText(request: FastifyRequest, reply: FastifyReply): InboundText | null {
    if (!isSignedByTwilio(request, config.twilio.authToken, config.publicBaseUrl)) {
      metrics.smsInbound.inc({ outcome: 'forged' });
      void reply.status(403).send(errorBody('bad_signature', 'The X-Twilio-Signature is missing or wrong.'));
      return null;
    }
    const read = twilioFields(request.body, FIELDS);
    if ('problem' in read) {
      void reply.status(400).send(errorBody('bad_request', read.problem));
      return null;
    }
    const { fields } = read;
    const messageSid = fields.MessageSid ?? fields.SmsSid;
    if (!messageSid || !fields.From) {
      void reply.status(400).send(errorBody('bad_request', 'MessageSid and From are required.'));
      return null;
    }
    return {
      messageSid,
      from: fields.From,
      to: fields.To ?? null,
      body: fields.Body ?? '',
      optOutType: fields.OptOutType ?? null,
    };
  }

  /** Spooled: answered with an empty TwiML; the reply goes out as a text once it is replayed. */
  async function spooled(text: InboundText, receivedAt: Date): Promise<InboundAnswer> {
    await spool.append({ ...text, receivedAt });
    metrics.smsInbound.inc({ outcome: 'spooled' });
    return { reply: '', outcome: 'spooled', duplicate: false };
  }

  // Security headers are for browsers; Twilio reads TwiML.
  app.post('/webhooks/twilio/sms', { helmet: false, schema: { hide: true } }, async (request, reply) => {
    const stopTimer = metrics.webhookDuration.startTimer();
    const receivedAt = clock();
    const text = readText(request, reply);
    if (!text) return reply;
    let answer: InboundAnswer;
    try {
      answer = await withinDatabaseWait(inbound.handle(text));
    } catch (error) {
      if (!isDatabaseUnreachable(error)) throw error;
      answer = await spooled(text, receivedAt);
    }
    stopTimer();
    return reply.type('text/xml; charset=utf-8').send(messagingTwiml(answer.reply));
  });

  // The number's fallback URL: Twilio calls it when the primary URL failed. It never touches Postgres.
  app.post(
    '/webhooks/twilio/sms-fallback',
    { helmet: false, schema: { hide: true } },
    async (request, reply) => {
      const receivedAt = clock();
      const text = readText(request, reply);
      if (!text) return reply;
      const answer = await spooled(text, receivedAt);
      return reply.type('text/xml; charset=utf-8').send(messagingTwiml(answer.reply));
    },
  );
}
