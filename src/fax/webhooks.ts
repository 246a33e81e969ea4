import type { FastifyInstance } from 'fastify';
import { errorBody } from '../errors.js';

/**
 * Fax providers' status callbacks. Sinch signs nothing, so a callback is only a hint: its token names
 * the delivery, and a worker reads the fax back from the provider before anything changes. The body is
 * not trusted and not read.
 */
export async function faxWebhookRoutes(app: FastifyInstance) {
  const { deliveries } = app.services;
  // Security headers are for browsers; providers read none.
  app.post<{ Params: { provider: string }; Querystring: { token?: string } }>(
    '/webhooks/fax/:provider',
    { helmet: false, schema: { hide: true } },
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
      return reply.status(204).send();
    },
  );
}
