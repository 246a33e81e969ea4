import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import type { ImportJob } from '../members/imports.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { type ConsoleTools, idOf } from './forms.js';
import { html, type SafeHtml } from '../html.js';
import { formatSeconds, page, plural } from './layout.js';

type Params = { Params: { id: string } };

/** How often the progress page asks how far the import has got. */
const POLL_EVERY_MS = 1_000;

const number = (n: number) => n.toLocaleString('en-GB');

/** Where an import stands, in words, with its rate and the time it has left while it checks rows. */
export function progressOf(job: ImportJob, now: Date) {
  const seconds = job.startedAt ? Math.max((now.getTime() - job.startedAt.getTime()) / 1_000, 0.001) : 0;
  const rate = job.startedAt && job.processed > 0 ? job.processed / seconds : 0;
  const checking = job.status === 'running' && job.processed < job.rows;
  const state =
    job.status === 'queued'
      ? 'Waiting for a worker to take it up'
      : job.status === 'running'
        ? checking
          ? 'Checking the rows'
          : job.dryRun
            ? 'Counting the new members'
            : 'Adding the members to the network, all at once'
        : job.status === 'done'
          ? job.dryRun
            ? 'Checked: nothing was imported'
            : 'Done'
          : 'Failed: nothing was imported';
  return {
    state,
    checked: number(job.processed),
    rows: number(job.rows),
    processed: job.processed,
    rate: rate > 0 ? `${number(Math.round(rate))} rows a second` : '',
    left:
      checking && rate > 0 ? `about ${formatSeconds(Math.ceil((job.rows - job.processed) / rate))} left` : '',
  };
}

function outcomeOf(job: ImportJob): SafeHtml | null {
  if (job.status === 'failed')
    return html`<p class="problem" role="alert">${job.error ?? 'The import failed.'}</p>`;
  if (job.status !== 'done') return null;
  const more = job.refusedCount - job.refused.length;
  return html`<div class="notice" role="status"><p>${job.dryRun ? 'Checked (nothing imported)' : 'Imported'}: ${number(job.imported)} new, ${number(job.skipped)} already known, ${number(job.held)} with a name to review, ${number(job.refusedCount)} refused.</p>
    ${
      job.refused.length > 0 &&
      html`<h2>Refused rows</h2><ul class="refused">${job.refused.map((r) => html`<li>Line ${r.line}: ${r.reason}</li>`)}${more > 0 && html`<li>… and ${plural(more, 'more row')}</li>`}</ul>`
    }</div>`;
}

/** The members import as a job: the file sent (streamed by the page's script), then its progress. */
export function importPages(app: FastifyInstance, tools: ConsoleTools) {
  const { importJobs, clock } = app.services;

  // The page's script sends the file itself as text/csv, read as it arrives (the form's multipart
  // body would be held whole in memory).
  app.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));

  app.post('/members/imports', { onRequest: requireRole('campaigner') }, async (request, reply) => {
    try {
      if (!(request.body instanceof Readable)) {
        throw new AppError(415, 'unsupported_media_type', 'Send the file with Content-Type: text/csv.');
      }
      const dryRun = (request.query as { dryRun?: string }).dryRun === 'true';
      const { id } = await importJobs.start(request.body, { dryRun, staffId: staffOf(request).id });
      return reply.status(202).send({ id: String(id), location: `/console/members/imports/${id}` });
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      return reply.status(error.statusCode).send({ error: { code: error.code, message: error.message } });
    }
  });

  app.get<Params>('/members/imports/:id', { onRequest: requireRole('viewer') }, async (request, reply) => {
    const job = await importJobs.get(idOf(request));
    const progress = progressOf(job, clock());
    const over = job.status === 'done' || job.status === 'failed';
    return tools.send(
      reply,
      page(
        tools.context(request, reply),
        'Members import',
        html`<h1>Members import ${job.id}${job.dryRun ? ' (a check: nothing is imported)' : ''}</h1>
        <div class="import-progress" ${over ? '' : html`data-poll="/console/members/imports/${job.id}/live.json" data-every="${POLL_EVERY_MS}"`}>
          <p class="status" data-field="state" role="status">${progress.state}</p>
          <label for="import-bar">Rows checked</label>
          <progress id="import-bar" max="${Math.max(job.rows, 1)}" value="${job.processed}" data-value="processed">${progress.checked} of ${progress.rows}</progress>
          <p aria-live="polite"><span data-field="checked">${progress.checked}</span> of <span data-field="rows">${progress.rows}</span> rows checked<span class="rate"> · <span data-field="rate">${progress.rate}</span> · <span data-field="left">${progress.left}</span></span></p>
          <div data-html="outcome">${outcomeOf(job)}</div>
        </div>
        <p><a href="/console/members">Back to the members</a></p>`,
      ),
    );
  });

  app.get<Params>('/members/imports/:id/live.json', { onRequest: requireRole('viewer') }, async (request) => {
    const job = await importJobs.get(idOf(request));
    const { processed, ...text } = progressOf(job, clock());
    return {
      fields: { ...text, processed },
      html: { outcome: outcomeOf(job)?.text ?? '' },
      done: job.status === 'done' || job.status === 'failed',
    };
  });
}
