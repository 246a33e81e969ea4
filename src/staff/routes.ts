import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { CursorQuery, Id, IdParams, Nullable, Page, Timestamp, type TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from './auth.js';

const Role = Type.Union([Type.Literal('admin'), Type.Literal('campaigner'), Type.Literal('viewer')]);
const StaffMember = Type.Object({
  id: Id,
  email: Type.String(),
  role: Role,
  disabledAt: Nullable(Timestamp),
  createdAt: Timestamp,
});
const Token = Type.Object({
  id: Id,
  label: Nullable(Type.String()),
  createdAt: Timestamp,
  lastUsedAt: Type.Optional(Nullable(Timestamp)),
  revokedAt: Type.Optional(Nullable(Timestamp)),
});
const AuditEntry = Type.Object({
  id: Id,
  staffId: Nullable(Id),
  action: Type.String(),
  entityType: Type.String(),
  entityId: Nullable(Type.String()),
  before: Type.Unknown(),
  after: Type.Unknown(),
  at: Timestamp,
});

export async function staffRoutes(plain: FastifyInstance) {
  const { staff: service } = plain.services;
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const tags = ['staff'];

  app.get(
    '/me',
    {
      onRequest: requireRole('viewer'),
      schema: { tags, response: { 200: Type.Object({ id: Id, email: Type.String(), role: Role }) } },
    },
    async (request) => staffOf(request),
  );

  app.get(
    '/staff',
    {
      onRequest: requireRole('admin'),
      schema: { tags, response: { 200: Type.Object({ items: Type.Array(StaffMember) }) } },
    },
    async () => ({ items: await service.list() }),
  );

  app.post(
    '/staff',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags,
        body: Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }), role: Role }),
        response: {
          201: Type.Object({
            staff: StaffMember,
            token: Type.String({ description: 'Shown only this once' }),
          }),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await service.create(request.body, staffOf(request).id)),
  );

  app.patch(
    '/staff/:id',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags,
        params: IdParams,
        body: Type.Object(
          { role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()) },
          { minProperties: 1 },
        ),
        response: { 200: StaffMember },
      },
    },
    async (request) => service.update(Number(request.params.id), request.body, staffOf(request).id),
  );

  app.get(
    '/staff/:id/tokens',
    {
      onRequest: requireRole('admin'),
      schema: { tags, params: IdParams, response: { 200: Type.Object({ items: Type.Array(Token) }) } },
    },
    async (request) => ({ items: await service.listTokens(Number(request.params.id)) }),
  );

  app.post(
    '/staff/:id/tokens',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags,
        params: IdParams,
        body: Type.Object({ label: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: {
          201: Type.Object({
            id: Id,
            label: Nullable(Type.String()),
            createdAt: Timestamp,
            token: Type.String(),
          }),
        },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await service.createToken(
            Number(request.params.id),
            request.body.label ?? null,
            staffOf(request).id,
          ),
        ),
  );

  app.post(
    '/tokens/:id/revoke',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags,
        params: IdParams,
        response: { 200: Type.Object({ id: Id, staffId: Id, revokedAt: Nullable(Timestamp) }) },
      },
    },
    async (request) => service.revokeToken(Number(request.params.id), staffOf(request).id),
  );

  app.get(
    '/audit',
    {
      onRequest: requireRole('admin'),
      schema: { tags: ['audit'], querystring: CursorQuery, response: { 200: Page(AuditEntry) } },
    },
    async (request) => service.auditLog(request.query.cursor, request.query.limit ?? 100),
  );
}
