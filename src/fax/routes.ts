import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { CursorQuery, Id, IdParams, Nullable, Page, Timestamp, type TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { renderFaxPartToBuffer } from './render.js';

const BatchStatus = Type.Union(
  ['pending', 'sending', 'delivered', 'written', 'partly_failed', 'failed'].map((status) =>
    Type.Literal(status),
  ),
  {
    description:
      'written: every part reached, and some only reached, the file provider’s outbox (a dry run, no fax machine)',
  },
);
const DeliveryStatus = Type.Union(
  ['pending', 'waiting', 'sending', 'delivered', 'written', 'failed', 'uncertain', 'blocked'].map((status) =>
    Type.Literal(status),
  ),
  {
    description:
      'written: put in the file provider’s or mail transport’s outbox (a dry run), final and counted as ' +
      'received; uncertain: an e-mail cut off after its data began with no reply, which staff may resend; ' +
      'blocked: the provider account, the mail sender or the document is at fault (lastError says why), ' +
      'not the recipient; tried again hourly until fixed',
  },
);
const Channel = Type.Union([Type.Literal('fax'), Type.Literal('email')]);
const Estimate = {
  pages: Type.Integer({ description: 'Fax pages of every part to every target (e-mail takes no line)' }),
  estimatedCost: Type.Number({ description: 'pages × FAX_PRICE_PER_PAGE' }),
  estimatedSeconds: Type.Integer({ description: 'Time on the line: pages × FAX_SECONDS_PER_PAGE' }),
};
const BatchSummary = Type.Object({
  id: Id,
  campaignId: Id,
  status: BatchStatus,
  reason: Type.String({ description: 'manual | schedule | threshold | close' }),
  signatureCount: Type.Integer(),
  createdAt: Timestamp,
  completedAt: Nullable(Timestamp),
});
const Delivery = Type.Object({
  id: Id,
  targetId: Id,
  targetName: Type.String(),
  part: Type.Integer(),
  parts: Type.Integer(),
  pages: Type.Integer(),
  channel: Channel,
  address: Type.String({ description: 'The fax number or e-mail address now tried' }),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  faxNumber: Nullable(Type.String()),
  emailAddress: Nullable(Type.String()),
  messageId: Nullable(Type.String({ description: 'The e-mail’s Message-ID, the same at every send' })),
  serverReply: Nullable(Type.String({ description: 'The mail server’s last reply, as it gave it' })),
  lastError: Nullable(Type.String()),
  estimatedSeconds: Type.Integer(),
  completedAt: Nullable(Timestamp),
  providerCompletedAt: Nullable(
    Type.String({
      format: 'date-time',
      description: 'When the provider says the fax ended (delivered or written)',
    }),
  ),
  pagesSent: Nullable(Type.Integer({ description: 'Pages the provider reports sent' })),
  durationSeconds: Nullable(
    Type.Integer({ description: 'The call’s length, where the provider reports it' }),
  ),
  remoteId: Nullable(
    Type.String({ description: 'The remote machine’s identifier (CSID), where the provider reports it' }),
  ),
});
const Batch = Type.Object({ ...BatchSummary.properties, ...Estimate, deliveries: Type.Array(Delivery) });
const Receipt = Type.Object({
  batchId: Id,
  campaign: Type.Object({ id: Id, keyword: Type.String(), title: Type.String() }),
  status: BatchStatus,
  signatureCount: Type.Integer(),
  createdAt: Timestamp,
  completedAt: Nullable(Timestamp),
  allReceived: Type.Boolean({ description: 'Every target received every part (delivered or written)' }),
  dryRun: Type.Boolean({ description: 'Some part was only written to an outbox (a dry run)' }),
  sentence: Nullable(
    Type.String({ description: 'What `{receipt}` expands to in a batch:<id> broadcast, once all received' }),
  ),
  targets: Type.Array(
    Type.Object({
      targetId: Id,
      name: Type.String(),
      received: Type.Boolean(),
      channel: Nullable(Type.String({ description: 'fax or email: the channel of the last part received' })),
      receivedAt: Nullable(Timestamp),
      dryRun: Type.Boolean(),
      pages: Type.Integer({ description: 'Pages of the parts received' }),
    }),
  ),
  deliveries: Type.Array(
    Type.Object({
      id: Id,
      targetId: Id,
      targetName: Type.String(),
      part: Type.Integer(),
      parts: Type.Integer(),
      channel: Channel,
      status: DeliveryStatus,
      provider: Nullable(Type.String()),
      providerFaxId: Nullable(Type.String({ description: 'The fax id, or the e-mail’s queue id' })),
      address: Type.String({ description: 'The fax number dialled or the address mailed (the authority’s)' }),
      startedAt: Nullable(Timestamp),
      endedAt: Nullable(Timestamp),
      pages: Type.Integer(),
      pagesSent: Nullable(Type.Integer()),
      durationSeconds: Nullable(
        Type.Integer({ description: 'Where the provider reports it (Sinch does not)' }),
      ),
      remoteId: Nullable(
        Type.String({ description: 'Remote CSID, where the provider reports it (Sinch does not)' }),
      ),
      serverReply: Nullable(Type.String()),
      documentSha256: Nullable(Type.String({ description: 'SHA-256 (hex) of the PDF sent' })),
      attempts: Type.Integer(),
    }),
  ),
});
const DeliveryRestarted = Type.Object({
  id: Id,
  status: DeliveryStatus,
  channel: Channel,
  address: Type.String(),
  faxNumber: Nullable(Type.String()),
  attempts: Type.Integer(),
});
const CreatedBatch = Type.Object({
  id: Id,
  status: BatchStatus,
  signatureCount: Type.Integer(),
  ...Estimate,
});
const NumericId = Type.String({ pattern: '^[0-9]{1,18}$' });
const E164 = Type.String({ pattern: '^\\+[1-9][0-9]{7,14}$', description: 'E.164, e.g. +442079460123' });
const Pdf = (description: string) => ({
  description,
  content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } },
});

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
          'Delivery receipt: per part, target and channel, what the provider reported and the SHA-256 of the PDF sent',
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
        querystring: Type.Object({
          targetId: NumericId,
          part: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1 })),
        }),
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
        querystring: Type.Object({ targetId: Type.Optional(NumericId) }),
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
        body: Type.Object({ faxNumber: E164, targetId: Type.Optional(NumericId) }),
        response: {
          202: Type.Object({
            campaignId: Id,
            targetId: Id,
            faxNumber: Type.String(),
            status: Type.Literal('queued'),
          }),
        },
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
          "Send a failed delivery again, from the target's first fax number or e-mail address; a blocked one now, " +
          'once what blocked it is fixed, from where it was (409 unless failed or blocked)',
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
          'Send an uncertain e-mail again, with the same Message-ID, once checked with the recipient (409 unless uncertain)',
        params: IdParams,
        response: { 202: DeliveryRestarted },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await deliveries.resend(Number(request.params.id), staffOf(request).id)),
  );
}
