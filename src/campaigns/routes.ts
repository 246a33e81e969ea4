import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { RouteDeps } from '../app.js';
import { campaigns } from '../db/schema.js';
import { Id, Nullable, Timestamp, type TypeBoxRequests } from '../schemas.js';
import { requireRole } from '../staff/auth.js';

const CampaignSummary = Type.Object({
  id: Id,
  keyword: Type.String(),
  title: Type.String(),
  status: Type.String(),
  closesAt: Nullable(Timestamp),
});

export function campaignRoutes({ database }: RouteDeps) {
  return async (plain: FastifyInstance) => {
    const app = plain.withTypeProvider<TypeBoxRequests>();
    app.get(
      '/campaigns',
      {
        preHandler: requireRole('viewer'),
        schema: {
          tags: ['campaigns'],
          response: { 200: Type.Object({ items: Type.Array(CampaignSummary) }) },
        },
      },
      async () => ({ items: await database.db.select().from(campaigns).orderBy(campaigns.id) }),
    );
  };
}
