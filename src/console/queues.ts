import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { closeQueues, createQueues } from '../queue/queues.js';
import { requireRole } from '../staff/auth.js';

/** Bull Board over the app's own queues, for admins only. */
export async function queueBoard(app: FastifyInstance) {
  const { config, redis } = app.services;
  const queues = createQueues(redis, { prefix: config.queuePrefix });
  app.addHook('onClose', () => closeQueues(queues));
  app.addHook('onRequest', requireRole('admin'));
  const adapter = new FastifyAdapter();
  adapter.setBasePath('/console/queues');
  createBullBoard({
    queues: Object.values(queues).map((queue) => new BullMQAdapter(queue)),
    serverAdapter: adapter,
  });
  await app.register(adapter.registerPlugin());
}
