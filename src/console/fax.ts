import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { estimate } from '../fax/layout.js';
import { letterheadWarning } from '../fax/letterhead.js';
import { renderFaxPartToBuffer } from '../fax/render.js';
import type { TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { type ConsoleTools, numeric } from './forms.js';
import {
  batchPage,
  blankTestFax,
  confirmBatchPage,
  deliveryRows,
  type FaxPlan,
  FINISHED,
  faxPage,
  receiptPage,
  statusLabel,
  type TestFaxForm,
  testFaxQueuedPage,
} from './views/fax.js';
import type { PageContext } from './views/layout.js';

/** A page's id: any text, so that one that is not a number is a page that does not exist (404). */
const IdParams = Type.Object({ id: Type.String() });
const TargetQuery = Type.Object({ targetId: Type.Optional(Type.String()) });

/** The fax pages of a campaign, its batches and their receipts. */
export function faxPages(plain: FastifyInstance, tools: ConsoleTools) {
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const { batches, campaigns, config, deliveries, receipts } = app.services;

  /** What a batch made now would send, target by target. */
  async function plan(campaignId: number): Promise<FaxPlan> {
    const campaign = await campaigns.get(campaignId);
    // One preview lays out every target's parts: one read of the waiting names, not one per target.
    const whole = await batches.preview(campaignId, null);
    const perTarget = campaign.targets.map((target) => {
      const planned = whole.targets.find((each) => each.targetId === target.id);
      if (!planned) throw new Error(`target ${target.id} is not in the preview`);
      return {
        target,
        parts: planned.parts,
        pages: planned.pages,
        ...estimate(planned.pages, config.fax),
      };
    });
    return { campaign, perTarget, whole };
  }

  async function renderFaxPage(context: PageContext, id: number, testFax: TestFaxForm = blankTestFax) {
    const fax = await plan(id);
    const { items } = await batches.list(id, undefined, 50);
    return faxPage(context, id, fax, items, testFax);
  }

  app.get(
    '/campaigns/:id/fax',
    { onRequest: requireRole('viewer'), schema: { params: IdParams } },
    async (request, reply) =>
      tools.send(reply, await renderFaxPage(tools.context(request, reply), numeric(request.params.id))),
  );

  // The same document as the API's preview, for a signed-in session rather than a token.
  app.get(
    '/campaigns/:id/fax-preview.pdf',
    { onRequest: requireRole('viewer'), schema: { params: IdParams, querystring: TargetQuery } },
    async (request, reply) => {
      const id = numeric(request.params.id);
      const { targetId } = request.query;
      const preview = await batches.preview(id, targetId === undefined ? null : numeric(targetId));
      const pdf = await renderFaxPartToBuffer(preview.input, preview.part);
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="campaign-${id}-preview.pdf"`)
        .header('cache-control', 'no-store')
        .send(pdf);
    },
  );

  // Page 1 of a target's next fax, as the target will receive it, for the confirmation page to show.
  app.get(
    '/campaigns/:id/fax-preview/first-page.pdf',
    { onRequest: requireRole('viewer'), schema: { params: IdParams, querystring: TargetQuery } },
    async (request, reply) => {
      const id = numeric(request.params.id);
      const preview = await batches.preview(id, numeric(request.query.targetId));
      const pdf = await renderFaxPartToBuffer(preview.input, preview.part, { firstPageOnly: true });
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="campaign-${id}-page-1.pdf"`)
        .header('cache-control', 'no-store')
        .send(pdf);
    },
  );

  app.post(
    '/campaigns/:id/test-fax',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        params: IdParams,
        body: Type.Object({
          faxNumber: Type.Optional(Type.String()),
          targetId: Type.Optional(Type.String()),
        }),
      },
    },
    async (request, reply) => {
      const id = numeric(request.params.id);
      const faxNumber = (request.body.faxNumber ?? '').trim();
      const targetId = request.body.targetId ?? '';
      if (!/^\+[1-9][0-9]{7,14}$/.test(faxNumber)) {
        // The form again, as typed, with the problem beside the number.
        const problem = `"${faxNumber}" is not in E.164 form, e.g. +442079460123.`;
        return tools.send(
          reply,
          await renderFaxPage(tools.context(request, reply), id, { faxNumber, targetId, problem }),
          400,
        );
      }
      await batches.requestTestFax(id, {
        faxNumber,
        targetId: targetId === '' ? null : numeric(targetId),
        staffId: staffOf(request).id,
      });
      return tools.send(reply, testFaxQueuedPage(tools.context(request, reply), id, faxNumber), 202);
    },
  );

  app.get(
    '/campaigns/:id/fax/confirm',
    { onRequest: requireRole('campaigner'), schema: { params: IdParams } },
    async (request, reply) => {
      const id = numeric(request.params.id);
      const context = tools.context(request, reply);
      const letterhead = letterheadWarning(config.letterhead, config.orgName);
      return tools.send(reply, confirmBatchPage(context, id, await plan(id), letterhead));
    },
  );

  app.post(
    '/campaigns/:id/fax-batches',
    { onRequest: requireRole('campaigner'), schema: { params: IdParams } },
    async (request, reply) => {
      const batch = await batches.createBatch(numeric(request.params.id), {
        reason: 'manual',
        staffId: staffOf(request).id,
      });
      return reply.redirect(`/console/fax-batches/${batch.id}`, 303);
    },
  );

  app.get(
    '/fax-batches/:id',
    { onRequest: requireRole('viewer'), schema: { params: IdParams } },
    async (request, reply) => {
      const batch = await batches.get(numeric(request.params.id));
      return tools.send(reply, batchPage(tools.context(request, reply), batch));
    },
  );

  app.get(
    '/fax-batches/:id/live.json',
    { onRequest: requireRole('viewer'), schema: { params: IdParams } },
    async (request, reply) => {
      const batch = await batches.get(numeric(request.params.id));
      return {
        fields: { status: statusLabel(batch.status) },
        html: { deliveries: deliveryRows(batch, tools.context(request, reply)).text },
        done: FINISHED.has(batch.status) && batch.deliveries.every((d) => FINISHED.has(d.status)),
      };
    },
  );

  app.get(
    '/fax-batches/:id/document',
    {
      onRequest: requireRole('viewer'),
      schema: {
        params: IdParams,
        querystring: Type.Object({
          targetId: Type.Optional(Type.String()),
          part: Type.Optional(Type.String()),
        }),
      },
    },
    async (request, reply) => {
      const { file, filename } = await batches.documentFile(
        numeric(request.params.id),
        numeric(request.query.targetId),
        // The API's bound: a batch never has more parts than that, and the column is a smallint.
        numeric(request.query.part ?? '1', 10_000),
      );
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(createReadStream(file));
    },
  );

  app.get(
    '/fax-batches/:id/receipt',
    { onRequest: requireRole('viewer'), schema: { params: IdParams } },
    async (request, reply) => {
      const receipt = await receipts.batchReceipt(numeric(request.params.id));
      return tools.send(reply, receiptPage(tools.context(request, reply), receipt));
    },
  );

  app.get(
    '/fax-batches/:id/receipt.pdf',
    { onRequest: requireRole('viewer'), schema: { params: IdParams } },
    async (request, reply) => {
      const id = numeric(request.params.id);
      const pdf = await receipts.receiptPdf(id);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="receipt-batch-${id}.pdf"`)
        .header('cache-control', 'no-store')
        .send(pdf);
    },
  );

  for (const action of ['retry', 'resend'] as const) {
    app.post(
      `/fax-deliveries/:id/${action}`,
      {
        onRequest: requireRole('campaigner'),
        schema: { params: IdParams, body: Type.Object({ batch: Type.Optional(Type.String()) }) },
      },
      async (request, reply) => {
        // Read before acting, so that a form without its batch changes nothing.
        const batchId = numeric(request.body.batch);
        await deliveries[action](numeric(request.params.id), staffOf(request).id);
        return reply.redirect(`/console/fax-batches/${batchId}`, 303);
      },
    );
  }
}
