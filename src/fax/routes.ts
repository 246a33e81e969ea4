import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CursorQuery, IdParams, Page, type TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { renderFaxPartToBuffer } from './render.js';
import {
  Batch,
  BatchSummary,
  CreatedBatch,
  DeliveryRestarted,
  DocumentQuery,
  Pdf,
  PreviewQuery,
  Receipt,
  TestFaxBody,
  TestFaxQueued,
} from './schemas.js';

function sendPdf(reply: FastifyReply, filename: string) {
  return reply
    .type('application/pdf')
    .header('content-disposition', `inline; filename="${filename}"`)
    .header('cache-control', 'no-store');
}

export async function faxRoutes(plain: FastifyInstance) {
  const { batches, deliveries, receipts } = plain.services;
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const tags = ['fax'];

  app.post(
    '/campaigns/:id/fax-batches',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary: 'Fax every waiting signature now (409 when none waits)',
        params: IdParams,
        response: { 202: CreatedBatch },
      },
    },
    async (request, reply) =>
      reply.status(202).send(
        await batches.createBatch(Number(request.params.id), {
          reason: 'manual',
          staffId: staffOf(request).id,
        }),
      ),
  );

  app.get(
    '/campaigns/:id/fax-batches',
    {
      onRequest: requireRole('viewer'),
      schema: { tags, params: IdParams, querystring: CursorQuery, response: { 200: Page(BatchSummary) } },
    },
    async (request) =>
      batches.list(Number(request.params.id), request.query.cursor, request.query.limit ?? 100),
  );

  app.get(
    '/fax-batches/:id',
    {
      onRequest: requireRole('viewer'),
      schema: { tags, params: IdParams, response: { 200: Batch } },
    },
    async (request) => batches.get(Number(request.params.id)),
  );

  app.get(
    '/fax-batches/:id/receipt',
    {
      onRequest: requireRole('viewer'),
      schema: {
        tags,
        summary:
          'Delivery receipt: per part, target and channel, what the provider reported ' +
          'and the SHA-256 of the PDF sent',
        params: IdParams,
        response: { 200: Receipt },
      },
    },
    async (request) => receipts.batchReceipt(Number(request.params.id)),
  );

  app.get(
    '/fax-batches/:id/receipt.pdf',
    {
      onRequest: requireRole('viewer'),
      schema: {
        tags,
        summary: 'The delivery receipt as a PDF to forward',
        params: IdParams,
        response: { 200: Pdf('The receipt') },
      },
    },
    async (request, reply) => {
      const id = Number(request.params.id);
      const pdf = await receipts.receiptPdf(id);
      return sendPdf(reply, `receipt-batch-${id}.pdf`).send(pdf);
    },
  );

  app.get(
    '/fax-batches/:id/document',
    {
      onRequest: requireRole('viewer'),
      schema: {
        tags,
        summary: 'The PDF sent to a target (404 until rendered)',
        params: IdParams,
        querystring: DocumentQuery,
        response: { 200: Pdf('The part as sent') },
      },
    },
    async (request, reply) => {
      const { file, filename } = await batches.documentFile(
        Number(request.params.id),
        Number(request.query.targetId),
        request.query.part ?? 1,
      );
      return sendPdf(reply, filename).send(createReadStream(file));
    },
  );

  app.get(
    '/campaigns/:id/fax-preview',
    {
      onRequest: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Part 1 of what a batch made now would send to a target (default the first)',
        description:
          'Headers: X-Fax-Signatures (names waiting), X-Fax-Parts and X-Fax-Pages (this target), ' +
          'X-Fax-Batch-Pages, X-Fax-Estimated-Cost and X-Fax-Estimated-Seconds (every target).',
        params: IdParams,
        querystring: PreviewQuery,
        response: { 200: Pdf('The document') },
      },
    },
    async (request, reply) => {
      const { targetId } = request.query;
      const preview = await batches.preview(
        Number(request.params.id),
        targetId === undefined ? null : Number(targetId),
      );
      const pdf = await renderFaxPartToBuffer(preview.input, preview.part);
      return sendPdf(reply, `campaign-${request.params.id}-preview.pdf`)
        .header('x-fax-signatures', preview.signatureCount)
        .header('x-fax-parts', preview.parts)
        .header('x-fax-pages', preview.targetPages)
        .header('x-fax-batch-pages', preview.pages)
        .header('x-fax-estimated-cost', preview.estimatedCost)
        .header('x-fax-estimated-seconds', preview.estimatedSeconds)
        .send(pdf);
    },
  );

  app.post(
    '/campaigns/:id/test-fax',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary: 'Send part 1 of the current document to a staff fax machine (not a batch)',
        params: IdParams,
        body: TestFaxBody,
        response: { 202: TestFaxQueued },
      },
    },
    async (request, reply) => {
      const { faxNumber, targetId } = request.body;
      return reply.status(202).send(
        await batches.requestTestFax(Number(request.params.id), {
          faxNumber,
          targetId: targetId === undefined ? null : Number(targetId),
          staffId: staffOf(request).id,
        }),
      );
    },
  );

  app.post(
    '/fax-deliveries/:id/retry',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary:
          "Send a failed delivery again, from the target's first fax number or e-mail address; " +
          'a blocked one now, once what blocked it is fixed, from where it was ' +
          '(409 unless failed or blocked)',
        params: IdParams,
        response: { 202: DeliveryRestarted },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await deliveries.retry(Number(request.params.id), staffOf(request).id)),
  );

  app.post(
    '/fax-deliveries/:id/resend',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary:
          'Send an uncertain e-mail again, with the same Message-ID, once checked with the recipient ' +
          '(409 unless uncertain)',
        params: IdParams,
        response: { 202: DeliveryRestarted },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await deliveries.resend(Number(request.params.id), staffOf(request).id)),
  );
}
