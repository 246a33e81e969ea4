import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { html, type SafeHtml } from '../html.js';
import { MEMBER_COLUMNS } from '../members/csv.js';
import { MAX_JOB_BYTES, MAX_JOB_ROWS } from '../members/imports.js';
import { MAX_IMPORT_BYTES } from '../members/service.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { LINK_HOURS } from '../staff/links.js';
import { MIN_PASSWORD_LENGTH } from '../staff/passwords.js';
import { STAFF_ROLES, type StaffRole } from '../staff/service.js';
import { auditDiff } from './audit-diff.js';
import { type ConsoleTools, field, idOf, setFlash, takeFlash } from './forms.js';
import {
  actionButton,
  canDo,
  csrfField,
  dataTable,
  formatTime,
  type PageContext,
  page,
  plural,
} from './layout.js';

type Params = { Params: { id: string } };

export function adminPages(app: FastifyInstance, tools: ConsoleTools) {
  const { members, importJobs, staff: staffService, config } = app.services;

  async function membersPage(context: PageContext, result: SafeHtml | null, problem: string | null) {
    const count = await members.count();
    const latest = await importJobs.latest();
    return page(
      context,
      'Members',
      html`<h1>Members</h1>
      <p id="member-count"><strong>${count.toLocaleString('en-GB')}</strong> ${count === 1 ? 'member' : 'members'} in the network can be texted (an action alert reaches them all).</p>
      ${problem && html`<p class="problem" role="alert">${problem}</p>`}
      ${result}
      ${latest && html`<p>Latest import: <a href="/console/members/imports/${latest.id}">import ${latest.id}</a>, ${latest.status === 'done' ? 'done' : latest.status === 'failed' ? 'failed' : 'under way'} (${plural(latest.rows, 'row')}).</p>`}
      ${
        canDo(context, 'campaigner') &&
        html`<h2>Import members</h2>
      <form method="post" action="/console/members/import" enctype="multipart/form-data" data-upload="/console/members/imports">${csrfField(context)}
        <p class="hint" id="csv-hint">A CSV with a header row naming the columns ${MEMBER_COLUMNS.join(', ')} (any order), up to ${MAX_JOB_ROWS.toLocaleString('en-GB')} rows and ${MAX_JOB_BYTES / 1_000_000} MB. A file is imported in the background: its page shows how far it has got. Existing supporters are never changed.</p>
        <label for="csv-file">Choose the CSV file</label>
        <input type="file" id="csv-file" name="file" accept=".csv,text/csv" aria-describedby="csv-hint">
        <label for="csv">… or paste a few rows here (checked and imported at once)</label>
        <textarea id="csv" name="csv" rows="8" aria-describedby="csv-hint"></textarea>
        <label><input type="checkbox" name="dryRun" value="yes"> Only check the file; import nothing</label>
        <button type="submit">Import</button>
        <p class="hint" data-upload-status role="status"></p>
      </form>`
      }
      ${
        canDo(context, 'admin') &&
        html`<h2>Erase a supporter</h2>
      <form method="post" action="/console/supporters/erase">${csrfField(context)}
        <label for="phoneNumber">Their phone number</label>
        <p class="hint" id="phone-hint">Their number and name are removed everywhere, and they come off every future fax. This cannot be undone.</p>
        <input type="text" id="phoneNumber" name="phoneNumber" autocomplete="off" required aria-describedby="phone-hint">
        <button type="submit" class="danger">Erase</button>
      </form>`
      }`,
    );
  }

  app.get('/members', { onRequest: requireRole('viewer') }, async (request, reply) =>
    tools.send(reply, await membersPage(tools.context(request, reply), null, null)),
  );

  app.post(
    '/members/import',
    // The form's other fields and its encoding add a little to the file itself.
    { onRequest: requireRole('campaigner'), bodyLimit: 2 * MAX_IMPORT_BYTES },
    async (request, reply) => {
      const csv = field(request.body, 'csv');
      const upload = (request.body as Record<string, unknown> | undefined)?.file;
      const file = Buffer.isBuffer(upload) && upload.length > 0 ? upload : null;
      const context = () => tools.context(request, reply);
      try {
        if (!file && csv.trim() === '') {
          throw new AppError(400, 'no_file', 'Choose a CSV file, or paste one, to import.');
        }
        const options = { dryRun: field(request.body, 'dryRun') === 'yes', staffId: staffOf(request).id };
        // A file (sent by the form itself when the page's script did not stream it) becomes an import
        // job, followed on its own page; a few pasted rows are imported at once.
        if (file) {
          const { id } = await importJobs.start(Readable.from([file]), options);
          return reply.redirect(`/console/members/imports/${id}`, 303);
        }
        const result = await members.importCsv([csv], options);
        const summary = html`<div class="notice" role="status"><p>${result.dryRun ? 'Checked (nothing imported)' : 'Imported'}: ${result.imported} new, ${result.skipped} already known, ${result.held} with a name to review, ${result.refused.length} refused.</p>
        ${result.refused.length > 0 && html`<ul>${result.refused.slice(0, 50).map((r) => html`<li>Line ${r.line}: ${r.reason}</li>`)}${result.refused.length > 50 && html`<li>… and ${result.refused.length - 50} more</li>`}</ul>`}</div>`;
        return tools.send(reply, await membersPage(context(), summary, null));
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        return tools.send(reply, await membersPage(context(), null, error.message), error.statusCode);
      }
    },
  );

  app.post('/supporters/erase', { onRequest: requireRole('admin') }, async (request, reply) => {
    const context = () => tools.context(request, reply);
    try {
      const result = await members.erase(field(request.body, 'phoneNumber'), staffOf(request).id);
      const summary = html`<p class="notice" role="status">Erased supporter ${result.supporterId}; ${plural(result.signaturesRemoved, 'signature')} taken off future faxes.</p>`;
      return tools.send(reply, await membersPage(context(), summary, null));
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      // The service's messages never repeat the number, so they can be shown as they are.
      return tools.send(reply, await membersPage(context(), null, error.message), error.statusCode);
    }
  });

  /** The invitation form's input and its problem, shown beside its field, when it comes back. */
  interface InviteForm {
    email: string;
    role: string;
    problem: { field: string; message: string } | null;
  }
  const blankInvite: InviteForm = { email: '', role: 'viewer', problem: null };

  async function staffPage(context: PageContext, notice: SafeHtml | null, invite = blankInvite) {
    const people = await staffService.list();
    const rows = await Promise.all(
      people.map(async (member) => {
        const tokens = await staffService.listTokens(member.id);
        const roleId = `role-${member.id}`;
        return {
          id: `staff-${member.id}`,
          cells: [
            member.email,
            html`<form class="inline" method="post" action="/console/staff/${member.id}">${csrfField(context)}
            <label for="${roleId}" class="hint">Role of ${member.email}</label>
            <select id="${roleId}" name="role">${STAFF_ROLES.map((role) => html`<option value="${role}" ${role === member.role ? html`selected` : null}>${role}</option>`)}</select>
            <button type="submit" class="secondary">Change role</button></form>`,
            member.disabledAt
              ? html`disabled ${formatTime(member.disabledAt)} ${actionButton(context, `/console/staff/${member.id}`, 'Enable', { secondary: true, fields: { disabled: 'no' } })}`
              : html`${actionButton(context, `/console/staff/${member.id}/reset`, `Password reset link for ${member.email}`, { secondary: true })}
              ${actionButton(context, `/console/staff/${member.id}`, `Disable ${member.email}`, { danger: true, fields: { disabled: 'yes' } })}`,
            html`<ul>${tokens.map((t) => html`<li>${t.label ?? 'token'} ${t.id}: ${t.revokedAt ? `revoked ${formatTime(t.revokedAt)}` : html`${t.lastUsedAt ? `last used ${formatTime(t.lastUsedAt)}` : 'never used'} ${actionButton(context, `/console/tokens/${t.id}/revoke`, 'Revoke', { danger: true })}`}</li>`)}</ul>
            ${actionButton(context, `/console/staff/${member.id}/tokens`, `New token for ${member.email}`, { secondary: true })}`,
          ],
        };
      }),
    );
    const problemFor = (name: string) =>
      invite.problem?.field === name
        ? html`<p class="field-error" id="invite-${name}-error">${invite.problem.message}</p>`
        : null;
    const invalid = (name: string) =>
      invite.problem?.field === name
        ? html`aria-invalid="true" aria-describedby="invite-${name}-error"`
        : null;
    return page(
      context,
      'Staff',
      html`<h1>Staff</h1>${notice}
      ${dataTable(['E-mail', 'Role', 'Account', 'API tokens'], rows, 'No staff yet.')}
      <h2 id="invite">Invite a colleague</h2>
      <form method="post" action="/console/staff/invite" novalidate>${csrfField(context)}
        ${invite.problem && invite.problem.field === 'form' && html`<p class="problem" role="alert">${invite.problem.message}</p>`}
        <label for="new-email">Their e-mail</label>${problemFor('email')}
        <input type="email" id="new-email" name="email" required value="${invite.email}" ${invalid('email')}>
        <label for="new-role">Role</label>${problemFor('role')}
        <select id="new-role" name="role" ${invalid('role')}>${STAFF_ROLES.map((role) => html`<option value="${role}" ${role === invite.role ? html`selected` : null}>${role}</option>`)}</select>
        <p class="hint">You get a link, shown once, to send them; it works once, for ${LINK_HOURS.invite / 24} days, and through it they choose their password.</p>
        <button type="submit">Invite</button>
      </form>`,
    );
  }

  const tokenNotice = (email: string, token: string) =>
    html`<div class="notice" role="status"><p>The API token of ${email}, shown only this once:</p><p class="token">${token}</p></div>`;

  const linkNotice = (what: string, email: string, token: string, expiresAt: Date) =>
    html`<div class="notice" role="status" id="password-link"><p>${what} for ${email}, shown only this once: send it to them yourself. It works once, until ${formatTime(expiresAt)}.</p>
      <p class="token">${config.publicBaseUrl.replace(/\/$/, '')}/console/password/${token}</p></div>`;

  app.get('/staff', { onRequest: requireRole('admin') }, async (request, reply) => {
    const flash = takeFlash(request);
    const notice =
      flash && html`<p class="${flash.problem ? 'problem' : 'notice'}" role="status">${flash.text}</p>`;
    return tools.send(reply, await staffPage(tools.context(request, reply), notice));
  });

  app.post('/staff', { onRequest: requireRole('admin') }, async (request, reply) => {
    const role = field(request.body, 'role') as StaffRole;
    const created = await staffService.create(
      { email: field(request.body, 'email'), role },
      staffOf(request).id,
    );
    return tools.send(
      reply,
      await staffPage(tools.context(request, reply), tokenNotice(created.staff.email, created.token)),
      201,
    );
  });

  app.post('/staff/invite', { onRequest: requireRole('admin') }, async (request, reply) => {
    const email = field(request.body, 'email');
    const role = field(request.body, 'role');
    const context = () => tools.context(request, reply);
    try {
      if (!STAFF_ROLES.includes(role as StaffRole)) {
        throw new AppError(400, 'invalid_role', `Choose a role: ${STAFF_ROLES.join(', ')}.`, 'role');
      }
      const invited = await staffService.invite({ email, role: role as StaffRole }, staffOf(request).id);
      return tools.send(
        reply,
        await staffPage(
          context(),
          linkNotice('The invitation link', invited.staff.email, invited.token, invited.expiresAt),
        ),
        201,
      );
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      const problem = { field: error.field ?? 'form', message: error.message };
      return tools.send(reply, await staffPage(context(), null, { email, role, problem }), error.statusCode);
    }
  });

  app.post<Params>('/staff/:id/reset', { onRequest: requireRole('admin') }, async (request, reply) => {
    const link = await staffService.resetLink(idOf(request), staffOf(request).id);
    return tools.send(
      reply,
      await staffPage(
        tools.context(request, reply),
        linkNotice('A password reset link', link.email, link.token, link.expiresAt),
      ),
      201,
    );
  });

  app.post<Params>('/staff/:id', { onRequest: requireRole('admin') }, async (request, reply) => {
    const role = field(request.body, 'role');
    const disabled = field(request.body, 'disabled');
    const id = idOf(request);
    try {
      if (role !== '' && !STAFF_ROLES.includes(role as StaffRole)) {
        throw new AppError(400, 'invalid_role', `Role must be one of ${STAFF_ROLES.join(', ')}.`);
      }
      const after = await staffService.update(
        id,
        {
          ...(role === '' ? {} : { role: role as StaffRole }),
          ...(disabled === '' ? {} : { disabled: disabled === 'yes' }),
        },
        staffOf(request).id,
      );
      setFlash(
        request,
        disabled === ''
          ? `${after?.email ?? 'They'} ${after?.email ? 'is' : 'are'} now ${after?.role ?? role}.`
          : `${after?.email ?? 'The account'} is ${disabled === 'yes' ? 'disabled and signed out everywhere' : 'enabled'}.`,
      );
    } catch (error) {
      // A refusal of the change (an admin cannot demote or disable themselves) is said back at the row;
      // a form that is not the page's own (no role, nothing to change) gets its 4xx page.
      if (!(error instanceof AppError) || error.statusCode !== 409) throw error;
      setFlash(request, error.message, true);
    }
    return reply.redirect(`/console/staff#staff-${id}`, 303);
  });

  app.post<Params>('/staff/:id/tokens', { onRequest: requireRole('admin') }, async (request, reply) => {
    const id = idOf(request);
    const created = await staffService.createToken(id, 'console', staffOf(request).id);
    const member = (await staffService.list()).find((m) => m.id === id);
    return tools.send(
      reply,
      await staffPage(
        tools.context(request, reply),
        tokenNotice(member?.email ?? `staff ${id}`, created.token),
      ),
      201,
    );
  });

  app.post<Params>('/tokens/:id/revoke', { onRequest: requireRole('admin') }, async (request, reply) => {
    await staffService.revokeToken(idOf(request), staffOf(request).id);
    return reply.redirect('/console/staff', 303);
  });

  app.get('/audit', { onRequest: requireRole('admin') }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const text = (name: string) =>
      typeof query[name] === 'string' ? (query[name] as string).trim().slice(0, 100) : '';
    const who = text('who');
    const action = text('action');
    const entity = text('entity');
    const staffId = who === 'system' ? 0 : /^\d{1,15}$/.test(who) ? Number(who) : undefined;
    const cursor = text('cursor') || undefined;
    const { items, nextCursor } = await staffService.auditLog(cursor, 100, {
      ...(staffId === undefined ? {} : { staffId }),
      ...(action ? { action } : {}),
      ...(entity ? { entityType: entity } : {}),
    });
    const people = await staffService.list();
    const context = tools.context(request, reply);
    const rows = items.map((entry) => {
      const changes = auditDiff(entry.before, entry.after);
      return {
        cells: [
          formatTime(entry.at),
          entry.email ?? (entry.staffId === null ? 'system or command line' : `staff ${entry.staffId}`),
          entry.action,
          `${entry.entityType}${entry.entityId === null ? '' : ` ${entry.entityId}`}`,
          changes.length === 0
            ? '—'
            : html`<ul class="diff">${changes.map(
                (change) =>
                  html`<li><code>${change.field}</code>: ${change.before !== undefined && html`<del>${change.before}</del>`}${change.before !== undefined && change.after !== undefined && ' → '}${change.after !== undefined && html`<ins>${change.after}</ins>`}</li>`,
              )}</ul>`,
        ],
      };
    });
    const filters = new URLSearchParams({
      ...(who ? { who } : {}),
      ...(action ? { action } : {}),
      ...(entity ? { entity } : {}),
    });
    const entities = ['campaign', 'signature', 'staff', 'api_token', 'fax_batch', 'broadcast', 'supporter'];
    return tools.send(
      reply,
      page(
        context,
        'Audit log',
        html`<h1>Audit log</h1>
        <form method="get" action="/console/audit" class="filters" role="search">
          <div><label for="who">Who</label><select id="who" name="who"><option value="">Anyone</option>
            <option value="system" ${who === 'system' ? html`selected` : null}>System or command line</option>
            ${people.map((person) => html`<option value="${person.id}" ${who === String(person.id) ? html`selected` : null}>${person.email}</option>`)}</select></div>
          <div><label for="action">Action contains</label><input type="text" id="action" name="action" value="${action}" placeholder="e.g. password"></div>
          <div><label for="entity">Of what</label><select id="entity" name="entity"><option value="">Anything</option>
            ${entities.map((kind) => html`<option value="${kind}" ${entity === kind ? html`selected` : null}>${kind.replace('_', ' ')}</option>`)}</select></div>
          <div><button type="submit">Filter</button> ${filters.size > 0 && html`<a href="/console/audit">Clear</a>`}</div>
        </form>
        ${dataTable(['When', 'Who', 'What', 'Of what', 'Changes'], rows, 'No entries match.')}
        ${nextCursor && html`<p><a href="/console/audit?${filters.size > 0 ? `${filters.toString()}&` : ''}cursor=${nextCursor}">Older entries</a></p>`}`,
      ),
    );
  });

  /** The page a one-time link opens: the person chooses their password, and is signed in. */
  function passwordLinkPage(
    context: PageContext,
    token: string,
    link: { email: string; purpose: string } | null,
    problem: { field: string; message: string } | null,
  ) {
    const title = link?.purpose === 'invite' ? 'Welcome: choose your password' : 'Choose a new password';
    const problemFor = (name: string) =>
      problem?.field === name ? html`<p class="field-error" id="${name}-error">${problem.message}</p>` : null;
    return page(
      context,
      link ? title : 'This link no longer works',
      link
        ? html`<section class="login" aria-labelledby="password-heading">
        <h1 id="password-heading">${title}</h1>
        <p>For <strong>${link.email}</strong>. At least ${MIN_PASSWORD_LENGTH} characters; a few unrelated words make a good one.</p>
        ${problem?.field === 'form' && html`<p class="problem" role="alert">${problem.message}</p>`}
        <form method="post" action="/console/password/${token}" novalidate>${csrfField(context)}
          <input type="text" name="username" autocomplete="username" value="${link.email}" hidden>
          <label for="password">New password</label>${problemFor('password')}
          <input type="password" id="password" name="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" ${problem?.field === 'password' ? html`aria-invalid="true" aria-describedby="password-error"` : null}>
          <label for="repeat">The same again</label>${problemFor('repeat')}
          <input type="password" id="repeat" name="repeat" autocomplete="new-password" required ${problem?.field === 'repeat' ? html`aria-invalid="true" aria-describedby="repeat-error"` : null}>
          <button type="submit">Set my password and sign in</button>
        </form></section>`
        : html`<h1>This link no longer works</h1><p class="problem" role="alert">${problem?.message ?? ''}</p><p><a href="/console/login">Sign in</a></p>`,
    );
  }

  app.get<{ Params: { token: string } }>('/password/:token', async (request, reply) => {
    const { token } = request.params;
    const context = tools.context(request, reply);
    try {
      const link = await staffService.passwordLink(token);
      return tools.send(reply, passwordLinkPage(context, token, link, null));
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode !== 410) throw error;
      return tools.send(
        reply,
        passwordLinkPage(context, token, null, { field: 'form', message: error.message }),
        410,
      );
    }
  });

  app.post<{ Params: { token: string } }>('/password/:token', async (request, reply) => {
    const { token } = request.params;
    const password = field(request.body, 'password');
    let link: { email: string; purpose: string };
    try {
      link = await staffService.passwordLink(token);
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode !== 410) throw error;
      const context = tools.context(request, reply);
      return tools.send(
        reply,
        passwordLinkPage(context, token, null, { field: 'form', message: error.message }),
        410,
      );
    }
    try {
      if (password !== field(request.body, 'repeat')) {
        throw new AppError(400, 'passwords_differ', 'The two passwords are not the same.', 'repeat');
      }
      const staffId = await staffService.usePasswordLink(token, password);
      // Signed in at once, in a fresh session: the link's whole point is to let them in.
      request.session.regenerate();
      request.session.set('session', await staffService.startSession(staffId));
      setFlash(request, 'Your password is set; you are signed in.');
      return reply.redirect('/console/account', 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      const context = tools.context(request, reply);
      const problem = {
        field: error.field ?? (error.statusCode === 410 ? 'form' : 'password'),
        message: error.message,
      };
      return tools.send(
        reply,
        passwordLinkPage(context, token, error.statusCode === 410 ? null : link, problem),
        error.statusCode,
      );
    }
  });

  function accountPage(
    context: PageContext,
    notice: SafeHtml | null,
    problem: { field: string; message: string } | null,
  ) {
    const problemFor = (name: string) =>
      problem?.field === name ? html`<p class="field-error" id="${name}-error">${problem.message}</p>` : null;
    const invalid = (name: string) =>
      problem?.field === name ? html`aria-invalid="true" aria-describedby="${name}-error"` : null;
    return page(
      context,
      'Your account',
      html`<h1>Your account</h1>${notice}
      <p>Signed in as <strong>${context.staff?.email ?? ''}</strong> (${context.staff?.role ?? ''}).</p>
      <h2>Change your password</h2>
      <p class="hint">Changing it signs you out everywhere else.</p>
      <form method="post" action="/console/account/password" novalidate>${csrfField(context)}
        <input type="text" name="username" autocomplete="username" value="${context.staff?.email ?? ''}" hidden>
        <label for="current">Current password</label>${problemFor('current')}
        <input type="password" id="current" name="current" autocomplete="current-password" required ${invalid('current')}>
        <label for="password">New password</label><p class="hint" id="password-hint">At least ${MIN_PASSWORD_LENGTH} characters.</p>${problemFor('password')}
        <input type="password" id="password" name="password" autocomplete="new-password" required ${invalid('password')}>
        <label for="repeat">The new password again</label>${problemFor('repeat')}
        <input type="password" id="repeat" name="repeat" autocomplete="new-password" required ${invalid('repeat')}>
        <button type="submit">Change my password</button>
      </form>`,
    );
  }

  app.get('/account', { onRequest: requireRole('viewer') }, async (request, reply) => {
    const flash = takeFlash(request);
    const notice =
      flash && html`<p class="${flash.problem ? 'problem' : 'notice'}" role="status">${flash.text}</p>`;
    return tools.send(reply, accountPage(tools.context(request, reply), notice, null));
  });

  app.post('/account/password', { onRequest: requireRole('viewer') }, async (request, reply) => {
    const me = staffOf(request);
    const password = field(request.body, 'password');
    try {
      if (password !== field(request.body, 'repeat')) {
        throw new AppError(400, 'passwords_differ', 'The two new passwords are not the same.', 'repeat');
      }
      await staffService.changePassword(me, field(request.body, 'current'), password);
      // Every session of theirs ended with the change; this browser gets a fresh one.
      request.session.regenerate();
      request.session.set('session', await staffService.startSession(me.id));
      setFlash(request, 'Your password is changed; every other session of yours is signed out.');
      return reply.redirect('/console/account', 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      const problem = { field: error.field ?? 'password', message: error.message };
      return tools.send(reply, accountPage(tools.context(request, reply), null, problem), error.statusCode);
    }
  });
}
