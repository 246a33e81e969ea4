import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import { Id, type TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { MEMBER_COLUMNS } from './csv.js';
import { MAX_IMPORT_BYTES } from './service.js';

const ImportResult = Type.Object({
  imported: Type.Integer(),
  skipped: Type.Integer({ description: 'Already supporters (opted in or out), or repeated in the file' }),
  held: Type.Integer({ description: 'Imported with a name that will be held for review when they sign' }),
  refused: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })),
  dryRun: Type.Boolean(),
});

export async function memberRoutes(plain: FastifyInstance) {
  const { members: service } = plain.services;
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
