import type { IncomingMessage } from 'node:http';
import { errorCodes, type FastifyInstance } from 'fastify';
import { errorBody } from '../errors.js';

/**
 * The largest callback taken: Sinch's JSON FAX_COMPLETED carries the fax itself in base64 (`file`), a
 * multipart one the PDF; refused (413), Sinch would call again and again.
 */
export const CALLBACK_BODY_LIMIT = 50 * 1024 * 1024;

/**
 * Reads a callback's body to its end and keeps none of it, so that a fax of many pages costs no memory;
 * past the limit the request is refused (413), by its Content-Length at once, or as the bytes come.
 */
function discardBody(
  _request: unknown,
  payload: IncomingMessage,
  done: (error: Error | null, body?: undefined) => void,
) {
  const declared = Number(payload.headers['content-length']);
  if (declared > CALLBACK_BODY_LIMIT) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  let received = 0;
  let ended = false;
  const end = (error: Error | null) => {
    if (ended) return;
    ended = true;
    done(error);
  };
  payload.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > CALLBACK_BODY_LIMIT) {
      payload.removeAllListeners('data');
      payload.resume();
      end(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    }
  });
  payload.on('end', () => end(null));
  payload.on('error', end);
}

/**
 * Fax providers' status callbacks. Sinch signs nothing, so a callback is only a hint: its token names
 * the delivery, and a worker reads the fax back from the provider before anything changes. The body is
 * not trusted and not read: whatever its type (JSON, multipart), it is discarded as it arrives.
 */
export async function faxWebhookRoutes(app: FastifyInstance) {
  const { deliveries } = app.services;
  await app.register(async (callbacks) => {
    // Only this route's scope: every body, of any type or none, goes to the bin.
    callbacks.removeAllContentTypeParsers();
    callbacks.addContentTypeParser('*', { bodyLimit: CALLBACK_BODY_LIMIT }, discardBody);
    // Security headers are for browsers; providers read none.
    callbacks.post<{ Params: { provider: string }; Querystring: { token?: string } }>(
      '/webhooks/fax/:provider',
      { helmet: false, bodyLimit: CALLBACK_BODY_LIMIT, schema: { hide: true } },
      async (request, reply) => {
        const { token } = request.query;
        // Tokens are base64url (src/fax/batches.ts); a repeated one or any other text names no delivery.
        if (
          typeof token !== 'string' ||
          !/^[\w-]{1,100}$/.test(token) ||
          !(await deliveries.acceptCallback(request.params.provider, token))
        ) {
          return reply.status(404).send(errorBody('not_found', 'No such fax callback.'));
        }
        // Sinch documents 200 as the answer it expects.
        return reply.status(200).send({ received: true });
      },
    );
  });
}
