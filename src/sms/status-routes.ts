import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.js';
import { markUnsubscribed } from '../broadcasts/sending.js';
import { errorBody } from '../errors.js';
import { TWILIO_UNSUBSCRIBED } from './sender.js';
import { isSignedByTwilio } from './twilio.js';

interface TwilioStatusBody {
  MessageSid?: string;
  MessageStatus?: string;
  ErrorCode?: string;
}

/** Twilio's statuses after it accepted a message; the earlier ones (queued, sending) add nothing. */
const RECORDED = new Set(['sent', 'delivered', 'undelivered', 'failed']);

/** Twilio's delivery reports for the texts we sent (the statusCallback of each message). */
export function smsStatusRoutes({ config, database, clock }: RouteDeps) {
  return async (app: FastifyInstance) => {
    app.post('/webhooks/twilio/status', { helmet: false, schema: { hide: true } }, async (request, reply) => {
      if (!isSignedByTwilio(request, config.twilio.authToken, config.publicBaseUrl)) {
        return reply
          .status(403)
          .send(errorBody('bad_signature', 'The X-Twilio-Signature is missing or wrong.'));
      }
      const body = (request.body ?? {}) as TwilioStatusBody;
      if (!body.MessageSid || !body.MessageStatus) {
        return reply.status(400).send(errorBody('bad_request', 'MessageSid and MessageStatus are required.'));
      }
      const status = body.MessageStatus;
      if (!RECORDED.has(status)) return reply.status(204).send();
      const errorCode = body.ErrorCode && /^\d{1,9}$/.test(body.ErrorCode) ? Number(body.ErrorCode) : null;
      await database.db.transaction(async (tx) => {
        // Reports can arrive out of order: a final status is never replaced, and `sent` never follows one.
        const { rows } = await tx.execute<{ supporter_id: string }>(sql`
          UPDATE outbound_messages SET status = ${status}::outbound_status,
            error_code = coalesce(${errorCode}::int, error_code), updated_at = now()
          WHERE twilio_sid = ${body.MessageSid} AND status IN ('sending', 'sent')
          RETURNING supporter_id`);
        const updated = rows[0];
        if (updated && errorCode === TWILIO_UNSUBSCRIBED)
          await markUnsubscribed(tx, updated.supporter_id, clock());
      });
      return reply.status(204).send();
    });
  };
}
