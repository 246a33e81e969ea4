import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import { Id, IdParams, Nullable, Timestamp, type TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { MEMBER_COLUMNS } from './csv.js';
import { MAX_JOB_BYTES, MAX_JOB_ROWS, REFUSED_KEPT } from './imports.js';
import { MAX_IMPORT_BYTES, MAX_IMPORT_ROWS } from './service.js';

const Refused = Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() }));

const ImportResult = Type.Object({
  imported: Type.Integer(),
  skipped: Type.Integer({ description: 'Already supporters (opted in or out), or repeated in the file' }),
  held: Type.Integer({ description: 'Imported with a name that will be held for review when they sign' }),
  refused: Refused,
  dryRun: Type.Boolean(),
});

const ImportJob = Type.Object({
  id: Id,
  status: Type.Union([
    Type.Literal('queued'),
    Type.Literal('running'),
    Type.Literal('done'),
    Type.Literal('failed'),
  ]),
  dryRun: Type.Boolean(),
  rows: Type.Integer({ description: 'Rows in the file (header and blank lines aside)' }),
  processed: Type.Integer({ description: 'Rows checked so far' }),
  imported: Type.Integer({ description: 'New members (once done; for a dry run, those it would add)' }),
  skipped: Type.Integer({ description: 'Already supporters, or repeated in the file (once done)' }),
  held: Type.Integer({ description: 'Imported with a name that will be held for review (once done)' }),
  refusedCount: Type.Integer({ description: 'Rows refused so far' }),
  refused: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() }), {
    description: `The first ${REFUSED_KEPT} refused rows, by line of the file`,
  }),
  error: Type.Optional(Type.String({ description: 'Why a failed import failed; nothing was imported' })),
  createdAt: Timestamp,
  startedAt: Nullable(Timestamp),
  finishedAt: Nullable(Timestamp),
});

export async function memberRoutes(plain: FastifyInstance) {
  const { members: service, importJobs } = plain.services;
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const tags = ['supporters'];

  // Scoped to this plugin: only the import takes CSV. The body is handed over unread, so that a file
  // of any length is read a row at a time (the import enforces its size).
  app.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));

  app.post(
    '/members/import',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary: 'Import an existing SMS network',
        description:
          `For small files (${MAX_IMPORT_ROWS} rows at most; use POST /members/imports for more). ` +
          `Send the file as text/csv (UTF-8, ${MAX_IMPORT_BYTES / 1024 / 1024} MB at most) with a header ` +
          `row naming the columns ${MEMBER_COLUMNS.join(', ')} (any case, any order; name may be empty). ` +
          'Dates are YYYY-MM-DD, DD/MM/YYYY or ISO date-times. Accepted rows are imported together or ' +
          'not at all; existing supporters are never changed. One import runs at a time: 409 while ' +
          'another is running.',
        consumes: ['text/csv'],
        querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean({ default: false })) }),
        response: { 200: ImportResult },
      },
    },
    async (request) => {
      if (!(request.body instanceof Readable)) {
        throw new AppError(415, 'unsupported_media_type', 'Send the file with Content-Type: text/csv.');
      }
      return service.importCsv(request.body, {
        dryRun: request.query.dryRun ?? false,
        staffId: staffOf(request).id,
      });
    },
  );

  app.post(
    '/members/imports',
    {
      onRequest: requireRole('campaigner'),
      schema: {
        tags,
        summary: 'Import an existing SMS network as a background job',
        description:
          `The same file as POST /members/import, up to ${MAX_JOB_ROWS} rows ` +
          `and ${MAX_JOB_BYTES / 1_000_000} MB ` +
          '(413 above either). The file is stored as it arrives and a worker checks and imports it; follow ' +
          'it with GET /members/imports/{id}. Accepted rows are imported together or not at all. One ' +
          'import at a time: 409 while another waits or runs.',
        consumes: ['text/csv'],
        querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean({ default: false })) }),
        response: {
          202: Type.Object({ id: Id, status: Type.Literal('queued') }),
        },
      },
    },
    async (request, reply) => {
      if (!(request.body instanceof Readable)) {
        throw new AppError(415, 'unsupported_media_type', 'Send the file with Content-Type: text/csv.');
      }
      // A declared length past the limit is refused before a byte is stored.
      if (Number(request.headers['content-length'] ?? 0) > MAX_JOB_BYTES) {
        request.body.resume();
        throw new AppError(
          413,
          'file_too_large',
          `A file may be ${MAX_JOB_BYTES / 1_000_000} MB at most; ` +
            'split it and import the parts one after another.',
        );
      }
      const job = await importJobs.start(request.body, {
        dryRun: request.query.dryRun ?? false,
        staffId: staffOf(request).id,
      });
      return reply.status(202).send(job);
    },
  );

  app.get(
    '/members/imports/:id',
    {
      onRequest: requireRole('viewer'),
      schema: {
        tags,
        summary: "A members import's progress and outcome",
        params: IdParams,
        response: { 200: ImportJob },
      },
    },
    async (request) => {
      const { error, ...job } = await importJobs.get(Number(request.params.id));
      return error === null ? job : { ...job, error };
    },
  );

  app.post(
    '/supporters/erase',
    {
      // Admins only: erasure cannot be undone, and it is a data-protection request, not campaign work.
      onRequest: requireRole('admin'),
      schema: {
        tags,
        summary: "Erase a supporter's number and name everywhere",
        body: Type.Object({ phoneNumber: Type.String({ minLength: 1, maxLength: 40 }) }),
        response: {
          200: Type.Object({
            erased: Type.Literal(true),
            supporterId: Id,
            signaturesRemoved: Type.Integer(),
          }),
        },
      },
    },
    async (request) => service.erase(request.body.phoneNumber, staffOf(request).id),
  );
}
