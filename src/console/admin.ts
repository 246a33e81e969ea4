import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import type { SafeHtml } from '../html.js';
import { MEMBER_COLUMNS } from '../members/csv.js';
import { MAX_JOB_BYTES, MAX_JOB_ROWS } from '../members/imports.js';
import { MAX_IMPORT_BYTES } from '../members/service.js';
import type { TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { LINK_HOURS } from '../staff/links.js';
import { STAFF_ROLES, type StaffRole } from '../staff/service.js';
import { accountRoutes } from './account.js';
import { type ConsoleTools, numeric, setFlash, takeFlash } from './forms.js';
import type { PageContext } from './views/layout.js';
import { erasedNotice, importSummary, membersPage } from './views/members.js';
import {
  auditPage,
  blankInvite,
  flashNotice,
  type InviteForm,
  linkNotice,
  staffPage,
  tokenNotice,
} from './views/staff.js';

/** A page's id: any text, so that one that is not a number is a page that does not exist (404). */
const IdParams = Type.Object({ id: Type.String() });
/** A form's fields, each optional: one left out reads as empty, as a browser sends an empty field. */
const Form = <K extends string>(...names: K[]) =>
  Type.Object(
    Object.fromEntries(names.map((name) => [name, Type.Optional(Type.String())])) as {
      [P in K]: Type.TOptional<Type.TString>;
    },
  );
const StaffForm = Form('email', 'role');
const isRole = (role: string): role is StaffRole => STAFF_ROLES.includes(role as StaffRole);

/** The members, staff and audit pages, and (in account.ts) each person's own password. */
export function adminPages(plain: FastifyInstance, tools: ConsoleTools) {
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const { members, importJobs, staff: staffService, config } = app.services;
  const csv = { columns: MEMBER_COLUMNS, maxRows: MAX_JOB_ROWS, maxBytes: MAX_JOB_BYTES };

  async function renderMembers(context: PageContext, result: SafeHtml | null, problem: string | null) {
    const [count, latest] = [await members.count(), await importJobs.latest()];
    return membersPage(context, { count, latest, csv }, result, problem);
  }

  app.get('/members', { onRequest: requireRole('viewer') }, async (request, reply) =>
    tools.send(reply, await renderMembers(tools.context(request, reply), null, null)),
  );

  app.post(
    '/members/import',
    {
      onRequest: requireRole('campaigner'),
      // The form's other fields and its encoding add a little to the file itself.
      bodyLimit: 2 * MAX_IMPORT_BYTES,
      schema: {
        // A multipart form's file comes as a Buffer, which is not a string.
        body: Type.Object({ csv: Type.Optional(Type.String()), dryRun: Type.Optional(Type.String()) }),
      },
    },
    async (request, reply) => {
      const csvText = request.body.csv ?? '';
      const upload = (request.body as { file?: unknown }).file;
      const file = Buffer.isBuffer(upload) && upload.length > 0 ? upload : null;
      const context = () => tools.context(request, reply);
      try {
        if (!file && csvText.trim() === '') {
          throw new AppError(400, 'no_file', 'Choose a CSV file, or paste one, to import.');
        }
        const options = { dryRun: request.body.dryRun === 'yes', staffId: staffOf(request).id };
        // A file (sent by the form itself when the page's script did not stream it) becomes an import
        // job, followed on its own page; a few pasted rows are imported at once.
        if (file) {
          const { id } = await importJobs.start(Readable.from([file]), options);
          return reply.redirect(`/console/members/imports/${id}`, 303);
        }
        const result = await members.importCsv([csvText], options);
        return tools.send(reply, await renderMembers(context(), importSummary(result), null));
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        return tools.send(reply, await renderMembers(context(), null, error.message), error.statusCode);
      }
    },
  );

  app.post(
    '/supporters/erase',
    { onRequest: requireRole('admin'), schema: { body: Form('phoneNumber') } },
    async (request, reply) => {
      const context = () => tools.context(request, reply);
      try {
        const result = await members.erase(request.body.phoneNumber ?? '', staffOf(request).id);
        return tools.send(reply, await renderMembers(context(), erasedNotice(result), null));
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        // The service's messages never repeat the number, so they can be shown as they are.
        return tools.send(reply, await renderMembers(context(), null, error.message), error.statusCode);
      }
    },
  );

  async function renderStaff(
    context: PageContext,
    notice: SafeHtml | null,
    invite: InviteForm = blankInvite,
  ) {
    const people = await staffService.list();
    const withTokens = await Promise.all(
      people.map(async (member) => ({ ...member, tokens: await staffService.listTokens(member.id) })),
    );
    const settings = { roles: STAFF_ROLES, inviteDays: LINK_HOURS.invite / 24 };
    return staffPage(context, withTokens, settings, notice, invite);
  }

  const linkUrl = (token: string) => `${config.publicBaseUrl.replace(/\/$/, '')}/console/password/${token}`;

  app.get('/staff', { onRequest: requireRole('admin') }, async (request, reply) => {
    const notice = flashNotice(takeFlash(request));
    return tools.send(reply, await renderStaff(tools.context(request, reply), notice));
  });

  app.post(
    '/staff',
    { onRequest: requireRole('admin'), schema: { body: StaffForm } },
    async (request, reply) => {
      const role = (request.body.role ?? '') as StaffRole;
      const created = await staffService.create(
        { email: request.body.email ?? '', role },
        staffOf(request).id,
      );
      const notice = tokenNotice(created.staff.email, created.token);
      return tools.send(reply, await renderStaff(tools.context(request, reply), notice), 201);
    },
  );

  app.post(
    '/staff/invite',
    { onRequest: requireRole('admin'), schema: { body: StaffForm } },
    async (request, reply) => {
      const { email = '', role = '' } = request.body;
      const context = () => tools.context(request, reply);
      try {
        if (!isRole(role)) {
          throw new AppError(400, 'invalid_role', `Choose a role: ${STAFF_ROLES.join(', ')}.`, 'role');
        }
        const invited = await staffService.invite({ email, role }, staffOf(request).id);
        const url = linkUrl(invited.token);
        const notice = linkNotice('The invitation link', invited.staff.email, url, invited.expiresAt);
        return tools.send(reply, await renderStaff(context(), notice), 201);
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        const problem = { field: error.field ?? 'form', message: error.message };
        return tools.send(
          reply,
          await renderStaff(context(), null, { email, role, problem }),
          error.statusCode,
        );
      }
    },
  );

  app.post(
    '/staff/:id/reset',
    { onRequest: requireRole('admin'), schema: { params: IdParams } },
    async (request, reply) => {
      const link = await staffService.resetLink(numeric(request.params.id), staffOf(request).id);
      const notice = linkNotice('A password reset link', link.email, linkUrl(link.token), link.expiresAt);
      return tools.send(reply, await renderStaff(tools.context(request, reply), notice), 201);
    },
  );

  app.post(
    '/staff/:id',
    { onRequest: requireRole('admin'), schema: { params: IdParams, body: Form('role', 'disabled') } },
    async (request, reply) => {
      const { role = '', disabled = '' } = request.body;
      const id = numeric(request.params.id);
      try {
        if (role !== '' && !isRole(role)) {
          throw new AppError(400, 'invalid_role', `Role must be one of ${STAFF_ROLES.join(', ')}.`);
        }
        const change = {
          ...(role === '' ? {} : { role: role as StaffRole }),
          ...(disabled === '' ? {} : { disabled: disabled === 'yes' }),
        };
        const after = await staffService.update(id, change, staffOf(request).id);
        setFlash(
          request,
          disabled === ''
            ? `${after?.email ?? 'They'} ${after?.email ? 'is' : 'are'} now ${after?.role ?? role}.`
            : `${after?.email ?? 'The account'} is ` +
                `${disabled === 'yes' ? 'disabled and signed out everywhere' : 'enabled'}.`,
        );
      } catch (error) {
        // A refusal of the change (an admin cannot demote or disable themselves) is said back at the row;
        // a form that is not the page's own (no role, nothing to change) gets its 4xx page.
        if (!(error instanceof AppError) || error.statusCode !== 409) throw error;
        setFlash(request, error.message, true);
      }
      return reply.redirect(`/console/staff#staff-${id}`, 303);
    },
  );

  app.post(
    '/staff/:id/tokens',
    { onRequest: requireRole('admin'), schema: { params: IdParams } },
    async (request, reply) => {
      const id = numeric(request.params.id);
      const created = await staffService.createToken(id, 'console', staffOf(request).id);
      const member = (await staffService.list()).find((m) => m.id === id);
      const notice = tokenNotice(member?.email ?? `staff ${id}`, created.token);
      return tools.send(reply, await renderStaff(tools.context(request, reply), notice), 201);
    },
  );

  app.post(
    '/tokens/:id/revoke',
    { onRequest: requireRole('admin'), schema: { params: IdParams } },
    async (request, reply) => {
      await staffService.revokeToken(numeric(request.params.id), staffOf(request).id);
      return reply.redirect('/console/staff', 303);
    },
  );

  app.get(
    '/audit',
    { onRequest: requireRole('admin'), schema: { querystring: Form('who', 'action', 'entity', 'cursor') } },
    async (request, reply) => {
      const text = (value: string | undefined) => (value ?? '').trim().slice(0, 100);
      const filters = {
        who: text(request.query.who),
        action: text(request.query.action),
        entity: text(request.query.entity),
      };
      const { who, action, entity } = filters;
      const staffId = who === 'system' ? 0 : /^\d{1,15}$/.test(who) ? Number(who) : undefined;
      const log = await staffService.auditLog(text(request.query.cursor) || undefined, 100, {
        ...(staffId === undefined ? {} : { staffId }),
        ...(action ? { action } : {}),
        ...(entity ? { entityType: entity } : {}),
      });
      const people = await staffService.list();
      return tools.send(reply, auditPage(tools.context(request, reply), log, people, filters));
    },
  );

  accountRoutes(app, tools);
}
