import type { FastifyInstance } from 'fastify';
import { requireRole } from '../staff/auth.js';
import type { ConsoleTools } from './forms.js';
import { stuckPage } from './views/stuck.js';

/** The page the banner links to: what has stopped moving, and since when. */
export function stuckPages(app: FastifyInstance, tools: ConsoleTools) {
  const { stuck } = app.services;

  app.get('/stuck', { onRequest: requireRole('viewer') }, async (request, reply) => {
    const [counts, items] = await Promise.all([stuck.counts(), stuck.items()]);
    return tools.send(reply, stuckPage(tools.context(request, reply), counts, items));
  });
}
