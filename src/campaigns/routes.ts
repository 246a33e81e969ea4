import type { FastifyInstance } from 'fastify';
import { IdParams, Page, type TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import {
  Campaign,
  CampaignBody,
  CampaignChangeBody,
  CampaignListQuery,
  CampaignSummary,
  HideQuery,
  ModeratedSignature,
  SignatureCsvQuery,
  SignatureItem,
  SignatureListQuery,
} from './schemas.js';
import { checkCampaign, checkCampaignChange } from './validation.js';

export async function campaignRoutes(plain: FastifyInstance) {
  const { campaigns: service, signatures, clock, config } = plain.services;
  const context = () => ({ now: clock(), joinKeywords: config.joinKeywords });
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const tags = ['campaigns'];

  app.get(
    '/campaigns',
    {
      onRequest: requireRole('viewer'),
      schema: { tags, querystring: CampaignListQuery, response: { 200: Page(CampaignSummary) } },
    },
    async (request) => service.list({ ...request.query, limit: request.query.limit ?? 100 }),
  );

  app.post(
    '/campaigns',
    {
      onRequest: requireRole('campaigner'),
      schema: { tags, body: CampaignBody, response: { 201: Campaign } },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await service.create(checkCampaign(request.body, context()), staffOf(request).id)),
  );

  app.get(
    '/campaigns/:id',
    {
      onRequest: requireRole('viewer'),
      schema: { tags, params: IdParams, response: { 200: Campaign } },
    },
    async (request) => service.get(Number(request.params.id)),
  );

  app.patch(
    '/campaigns/:id',
    {
      onRequest: requireRole('campaigner'),
      schema: { tags, params: IdParams, body: CampaignChangeBody, response: { 200: Campaign } },
    },
    async (request) =>
      service.update(
        Number(request.params.id),
        checkCampaignChange(request.body, context()),
        staffOf(request).id,
      ),
  );

  app.post(
    '/campaigns/:id/open',
    {
      onRequest: requireRole('campaigner'),
      schema: { tags, params: IdParams, response: { 200: Campaign } },
    },
    async (request) => service.open(Number(request.params.id), staffOf(request).id),
  );

  app.post(
    '/campaigns/:id/close',
    {
      onRequest: requireRole('campaigner'),
      schema: { tags, params: IdParams, response: { 200: Campaign } },
    },
    async (request) => service.close(Number(request.params.id), staffOf(request).id),
  );

  app.get(
    '/campaigns/:id/signatures',
    {
      onRequest: requireRole('viewer'),
      schema: {
        tags: ['signatures'],
        params: IdParams,
        querystring: SignatureListQuery,
        response: { 200: Page(SignatureItem) },
      },
    },
    async (request) =>
      signatures.list(Number(request.params.id), { ...request.query, limit: request.query.limit ?? 100 }),
  );

  app.get(
    '/campaigns/:id/signatures.csv',
    {
      onRequest: requireRole('viewer'),
      schema: {
        tags: ['signatures'],
        params: IdParams,
        querystring: SignatureCsvQuery,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const { filename, stream } = await signatures.exportCsv(
        Number(request.params.id),
        request.query.status,
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .send(stream);
    },
  );

  for (const action of ['hold', 'release'] as const) {
    app.post(
      `/signatures/:id/${action}`,
      {
        onRequest: requireRole('campaigner'),
        schema: { tags: ['signatures'], params: IdParams, response: { 200: ModeratedSignature } },
      },
      async (request) => signatures[action](Number(request.params.id), staffOf(request).id),
    );
  }

  app.post(
    '/signatures/:id/hide',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags: ['signatures'],
        params: IdParams,
        querystring: HideQuery,
        response: { 200: ModeratedSignature },
      },
    },
    async (request) => signatures.hide(Number(request.params.id), staffOf(request).id, request.query.reason),
  );
}
