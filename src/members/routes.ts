import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Id, type TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { MEMBER_COLUMNS } from './csv.js';

/** A members file of 200,000 rows is about 10 MB. */
const CSV_BODY_LIMIT = 20 * 1024 * 1024;

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

  // Scoped to this plugin: only the import takes CSV.
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT }, (_r, body, done) =>
    done(null, body),
  );

  app.post(
    '/members/import',
    {
      onRequest: requireRole('campaigner'),
      bodyLimit: CSV_BODY_LIMIT,
      schema: {
        tags,
        summary: 'Import an existing SMS network',
        description:
          `Send the file as text/csv with a header row naming the columns ${MEMBER_COLUMNS.join(', ')} ` +
          '(any case, any order; name may be empty). Dates are YYYY-MM-DD, DD/MM/YYYY or ISO date-times. ' +
          'Accepted rows are imported together or not at all; existing supporters are never changed.',
        consumes: ['text/csv'],
        querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean({ default: false })) }),
        body: Type.String({ description: 'CSV, UTF-8' }),
        response: { 200: ImportResult },
      },
    },
    async (request) =>
      service.importCsv(request.body, {
        dryRun: request.query.dryRun ?? false,
        staffId: staffOf(request).id,
      }),
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
