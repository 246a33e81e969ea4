import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { fromLocalInput, toLocalInput } from '../time.js';
import { type ConsoleTools, explainable, FormText, formBody, idOf, PageParams } from './forms.js';
import { canDo, displayTimeZone, page } from './views/layout.js';
import { broadcastView, FINISHED, failuresTable, money, progressFields } from './views/updates.js';

/** One update (broadcast) as it goes out: its progress, and sending, rescheduling or cancelling it. */
export function updateProgressPages(plain: FastifyInstance, tools: ConsoleTools) {
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const { broadcasts: service, config } = app.services;
  const viewer = { onRequest: requireRole('viewer') };
  const campaigner = { onRequest: requireRole('campaigner') };

  async function broadcastPage(request: FastifyRequest, reply: FastifyReply, problem: string | null) {
    const progress = await service.progress(idOf(request));
    const context = tools.context(request, reply);
    const cost = money(progress.total * progress.segments * config.sms.pricePerSegment, config.currency);
    const waitsUntil = progress.waiting?.until;
    const body = broadcastView({
      context,
      progress,
      problem,
      canWrite: canDo(context, 'campaigner'),
      timeZone: displayTimeZone(),
      suggested: waitsUntil ? toLocalInput(progress.sendAfter ?? waitsUntil, displayTimeZone()) : '',
      cost,
    });
    return page(context, `Update ${progress.id}`, body);
  }

  app.get('/broadcasts/:id', { ...viewer, schema: { params: PageParams } }, async (request, reply) =>
    tools.send(reply, await broadcastPage(request, reply, null)),
  );

  app.post(
    '/broadcasts/:id/send-now',
    { ...campaigner, schema: { params: PageParams } },
    async (request, reply) => {
      const id = idOf(request);
      await service.sendNow(id, staffOf(request).id);
      return reply.redirect(`/console/broadcasts/${id}`, 303);
    },
  );

  app.post(
    '/broadcasts/:id/reschedule',
    { ...campaigner, schema: { params: PageParams, body: formBody({ sendAt: FormText }) } },
    async (request, reply) => {
      const id = idOf(request);
      const sendAt = fromLocalInput(request.body.sendAt ?? '', displayTimeZone());
      try {
        if (!sendAt) throw new AppError(400, 'invalid_time', 'Choose a date and a time.');
        await service.reschedule(id, sendAt, staffOf(request).id);
        return reply.redirect(`/console/broadcasts/${id}`, 303);
      } catch (error) {
        if (!explainable(error)) throw error;
        return tools.send(reply, await broadcastPage(request, reply, error.message), error.statusCode);
      }
    },
  );

  app.get('/broadcasts/:id/live.json', { ...viewer, schema: { params: PageParams } }, async (request) => {
    const progress = await service.progress(idOf(request));
    return {
      fields: progressFields(progress),
      // Once finished there is nothing left to cancel: the button goes.
      html: {
        failures: failuresTable(progress).text,
        ...(FINISHED.has(progress.status) ? { cancel: '' } : {}),
      },
      done: FINISHED.has(progress.status) && progress.queued === 0,
    };
  });

  app.post(
    '/broadcasts/:id/cancel',
    { ...campaigner, schema: { params: PageParams } },
    async (request, reply) => {
      const id = idOf(request);
      await service.cancel(id, staffOf(request).id);
      return reply.redirect(`/console/broadcasts/${id}`, 303);
    },
  );
}
