import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import type { ImportJob } from '../members/imports.js';
import type { TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { type ConsoleTools, FormText, idOf, PageParams } from './forms.js';
import { type ImportProgress, importView, number, outcomeView } from './views/imports.js';
import { formatSeconds, page } from './views/layout.js';

/** Where an import stands, in words, with its rate and the time it has left while it checks rows. */
export function progressOf(job: ImportJob, now: Date): ImportProgress {
  const seconds = job.startedAt ? Math.max((now.getTime() - job.startedAt.getTime()) / 1_000, 0.001) : 0;
  const rate = job.startedAt && job.processed > 0 ? job.processed / seconds : 0;
  const checking = job.status === 'running' && (job.uploading || job.processed < job.rows);
  const state =
    job.uploading && (job.status === 'queued' || job.status === 'running')
      ? 'Receiving the file: its rows are checked as they arrive'
      : job.status === 'queued'
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
    // The time left is known once the whole file has come.
    left:
      checking && !job.uploading && rate > 0
        ? `about ${formatSeconds(Math.ceil((job.rows - job.processed) / rate))} left`
        : '',
  };
}

/** The members import as a job: the file sent (streamed by the page's script), then its progress. */
export function importPages(plain: FastifyInstance, tools: ConsoleTools) {
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const { importJobs, clock } = app.services;
  const viewer = { onRequest: requireRole('viewer') };
  const DryRunQuery = Type.Object({ dryRun: FormText });

  // The page's script sends the file itself as text/csv, read as it arrives (the form's multipart
  // body would be held whole in memory).
  app.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));

  app.post(
    '/members/imports',
    { onRequest: requireRole('campaigner'), schema: { querystring: DryRunQuery } },
    async (request, reply) => {
      try {
        if (!(request.body instanceof Readable)) {
          throw new AppError(415, 'unsupported_media_type', 'Send the file with Content-Type: text/csv.');
        }
        const dryRun = request.query.dryRun === 'true';
        const { id } = await importJobs.start(request.body, { dryRun, staffId: staffOf(request).id });
        return reply.status(202).send({ id: String(id), location: `/console/members/imports/${id}` });
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        return reply.status(error.statusCode).send({ error: { code: error.code, message: error.message } });
      }
    },
  );

  app.get('/members/imports/:id', { ...viewer, schema: { params: PageParams } }, async (request, reply) => {
    const job = await importJobs.get(idOf(request));
    const body = importView(job, progressOf(job, clock()));
    return tools.send(reply, page(tools.context(request, reply), 'Members import', body));
  });

  app.get(
    '/members/imports/:id/live.json',
    { ...viewer, schema: { params: PageParams } },
    async (request) => {
      const job = await importJobs.get(idOf(request));
      const { processed, ...text } = progressOf(job, clock());
      return {
        fields: { ...text, processed },
        html: { outcome: outcomeView(job)?.text ?? '' },
        done: job.status === 'done' || job.status === 'failed',
      };
    },
  );
}
