import type { FastifyInstance } from 'fastify';
import type { Audience } from '../broadcasts/audience.js';
import { composeBroadcast, MAX_BROADCAST_LENGTH, MAX_BROADCAST_SEGMENTS } from '../broadcasts/compose.js';
import { AppError } from '../errors.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { type ConsoleTools, field, idOf } from './forms.js';
import { html } from './html.js';
import { actionButton, canDo, csrfField, formatTime, type PageContext, page } from './layout.js';

type Params = { Params: { id: string } };

const AUDIENCES: Array<{ value: Audience; label: string }> = [
  { value: 'signers', label: 'Signers of this campaign (an update)' },
  { value: 'non-signers', label: 'Members who have not signed (a reminder)' },
  { value: 'network', label: 'The whole network (an action alert)' },
];
const FINISHED = new Set(['done', 'cancelled']);

export function updatePages(app: FastifyInstance, tools: ConsoleTools) {
  const { broadcasts: service, campaigns, config } = app.services;

  function segmentFields(body: string) {
    const composed = composeBroadcast(body, config.optOutHint);
    return {
      segments: composed.segments,
      encoding: composed.encoding,
      characters: [...composed.text].length,
      tooLong:
        composed.segments > MAX_BROADCAST_SEGMENTS
          ? `Too long: at most ${MAX_BROADCAST_SEGMENTS} segments are sent.`
          : '',
    };
  }

  async function composePage(
    context: PageContext,
    campaignId: number,
    values: { body: string; audience: string },
    problem: string | null,
  ) {
    const campaign = await campaigns.get(campaignId);
    const sizes = await service.audienceSizes(campaignId);
    const sent = await service.listForCampaign(campaignId, 50);
    const counter = segmentFields(values.body);
    const canWrite = canDo(context, 'campaigner');
    return page(
      context,
      `Updates · ${campaign.title}`,
      html`<h1>Updates: ${campaign.title}</h1>
      <p><a href="/console/campaigns/${campaignId}">Back to the campaign</a></p>
      ${
        canWrite &&
        html`<h2>Compose</h2>
      <form method="post" action="/console/campaigns/${campaignId}/updates">${csrfField(context)}
        ${problem && html`<p class="problem" role="alert" id="body-error">${problem}</p>`}
        <label for="body">Text</label>
        <textarea id="body" name="body" rows="5" required data-segments="/console/segments.json"
          aria-describedby="segment-count opt-out-hint${problem ? ' body-error' : ''}">${values.body}</textarea>
        <p class="hint" id="segment-count" aria-live="polite"><span data-field="segments">${counter.segments}</span> segment(s) per text,
          <span data-field="encoding">${counter.encoding}</span>, <span data-field="characters">${counter.characters}</span> characters with the opt-out hint.
          <span class="error" data-field="tooLong">${counter.tooLong}</span></p>
        <p class="hint" id="opt-out-hint">Unless the text already says it, “${config.optOutHint}” is added on its own line.</p>
        <fieldset><legend>Send to</legend>
          ${AUDIENCES.map(
            (
              a,
            ) => html`<label><input type="radio" name="audience" value="${a.value}" ${values.audience === a.value ? html`checked` : null}>
              ${a.label}: <span>${sizes[a.value]}</span> people</label>`,
          )}
        </fieldset>
        <button type="submit">Send</button>
      </form>`
      }
      <h2>Sent</h2>
      ${
        sent.length
          ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Update</th><th scope="col">To</th><th scope="col">Status</th><th scope="col">People</th><th scope="col">Made</th></tr></thead>
      <tbody>${sent.map((b) => html`<tr><td><a href="/console/broadcasts/${b.id}">Update ${b.id}</a></td><td>${b.audience}</td><td class="status status-${b.status}">${b.status}</td><td>${b.total}</td><td>${formatTime(b.createdAt)}</td></tr>`)}</tbody></table></div>`
          : html`<p>Nothing sent yet.</p>`
      }`,
    );
  }

  app.get<Params>('/campaigns/:id/updates', { onRequest: requireRole('viewer') }, async (request, reply) =>
    tools.send(
      reply,
      await composePage(
        tools.context(request, reply),
        idOf(request),
        { body: '', audience: 'signers' },
        null,
      ),
    ),
  );

  app.get('/segments.json', { onRequest: requireRole('viewer') }, async (request) => ({
    fields: segmentFields(String((request.query as { body?: string }).body ?? '').slice(0, 5_000)),
  }));

  app.post<Params>(
    '/campaigns/:id/updates',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      const values = { body: field(request.body, 'body'), audience: field(request.body, 'audience') };
      try {
        if (!AUDIENCES.some((a) => a.value === values.audience)) {
          throw new AppError(400, 'invalid_audience', 'Choose who to send it to.');
        }
        if (values.body.length > MAX_BROADCAST_LENGTH) {
          throw new AppError(
            400,
            'body_too_long',
            `The text may have at most ${MAX_BROADCAST_LENGTH} characters.`,
          );
        }
        const created = await service.create(
          id,
          { body: values.body, audience: values.audience as Audience },
          staffOf(request).id,
        );
        return reply.redirect(`/console/broadcasts/${created.id}`, 303);
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500 || error.statusCode === 404) throw error;
        return tools.send(
          reply,
          await composePage(tools.context(request, reply), id, values, error.message),
          error.statusCode,
        );
      }
    },
  );

  const progressFields = (p: Awaited<ReturnType<typeof service.progress>>) => ({
    status: p.status,
    total: p.total,
    queued: p.queued,
    sent: p.sent,
    delivered: p.delivered,
    failed: p.failed,
    skippedOptedOut: p.skippedOptedOut,
    cancelled: p.cancelled,
  });

  app.get<Params>('/broadcasts/:id', { onRequest: requireRole('viewer') }, async (request, reply) => {
    const progress = await service.progress(idOf(request));
    const context = tools.context(request, reply);
    const fields = progressFields(progress);
    const stat = (key: keyof typeof fields, label: string) =>
      html`<div class="stat"><strong data-field="${key}">${fields[key]}</strong>${label}</div>`;
    return tools.send(
      reply,
      page(
        context,
        `Update ${progress.id}`,
        html`<h1>Update ${progress.id}</h1>
        <p><a href="/console/campaigns/${progress.campaignId}/updates">Back to the updates</a></p>
        <div data-poll="/console/broadcasts/${progress.id}/live.json" data-every="1500">
          <p aria-live="polite">To ${progress.audience} · status <strong class="status" data-field="status">${progress.status}</strong> ·
            ${progress.segments} segment(s) each, ${progress.encoding}</p>
          <div class="stats">${stat('total', 'people')}${stat('queued', 'queued')}${stat('sent', 'sent')}${stat('delivered', 'delivered')}${stat('failed', 'failed')}${stat('skippedOptedOut', 'opted out')}${stat('cancelled', 'cancelled')}</div>
        </div>
        ${canDo(context, 'campaigner') && !FINISHED.has(progress.status) && actionButton(context, `/console/broadcasts/${progress.id}/cancel`, 'Cancel the rest', { danger: true })}`,
      ),
    );
  });

  app.get<Params>('/broadcasts/:id/live.json', { onRequest: requireRole('viewer') }, async (request) => {
    const progress = await service.progress(idOf(request));
    return { fields: progressFields(progress), done: FINISHED.has(progress.status) && progress.queued === 0 };
  });

  app.post<Params>(
    '/broadcasts/:id/cancel',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      await service.cancel(id, staffOf(request).id);
      return reply.redirect(`/console/broadcasts/${id}`, 303);
    },
  );
}
