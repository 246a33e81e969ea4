import type { FastifyInstance } from 'fastify';
import { requireRole } from '../staff/auth.js';
import type { ConsoleTools } from './forms.js';
import {
  type DashboardView,
  dashboardPage,
  fieldsOf,
  sendingSection,
  stuckSection,
} from './views/dashboard.js';

/** The console's home and its live JSON. */
export function dashboardPages(app: FastifyInstance, tools: ConsoleTools) {
  const { campaigns, broadcasts, stuck, clock } = app.services;

  async function look(): Promise<DashboardView> {
    const [open, sending, counts, items] = await Promise.all([
      campaigns.openOverview(),
      broadcasts.unfinished(),
      stuck.counts(),
      stuck.items(),
    ]);
    return { open, sending, counts, items, now: clock() };
  }

  app.get('/', { onRequest: requireRole('viewer') }, async (request, reply) =>
    tools.send(reply, dashboardPage(tools.context(request, reply), await look())),
  );

  app.get('/dashboard.json', { onRequest: requireRole('viewer') }, async () => {
    const view = await look();
    return {
      fields: fieldsOf(view),
      html: { stuck: stuckSection(view).text, sending: sendingSection(view).text },
      done: false,
    };
  });
}
