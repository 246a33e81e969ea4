import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { closeQueues, createQueues } from '../queue/queues.js';
import { requireRole } from '../staff/auth.js';

/**
 * Bull Board's page calls its API with axios, which copies an `XSRF-TOKEN` cookie into an
 * `X-XSRF-TOKEN` header on same-origin requests: the page's CSRF token travels that way, and the
 * console refuses any of its state-changing calls without it.
 */
export const XSRF_HEADER = 'x-xsrf-token';
const XSRF_COOKIE = 'XSRF-TOKEN';

/** Bull Board over the app's own queues (QUEUE_PREFIX), for admins only. */
export async function queueBoard(app: FastifyInstance) {
  const { config, redis } = app.services;
  const queues = createQueues(redis, { prefix: config.queuePrefix });
  app.addHook('onClose', () => closeQueues(queues));
  app.addHook('onRequest', requireRole('admin'));
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'GET') return;
    // Readable by the page's script (that is the point); only a same-origin page can read it.
    reply.setCookie(XSRF_COOKIE, reply.generateCsrf(), {
      path: '/console/queues',
      sameSite: 'strict',
      secure: config.publicBaseUrl.startsWith('https:'),
      httpOnly: false,
    });
  });
  const adapter = new FastifyAdapter();
  adapter.setBasePath('/console/queues');
  createBullBoard({
    queues: Object.values(queues).map((queue) => new BullMQAdapter(queue)),
    serverAdapter: adapter,
  });
  await app.register(adapter.registerPlugin());
}
