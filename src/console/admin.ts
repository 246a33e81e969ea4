import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { MEMBER_COLUMNS } from '../members/csv.js';
import { MAX_IMPORT_BYTES } from '../members/service.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { STAFF_ROLES, type StaffRole } from '../staff/service.js';
import { type ConsoleTools, field, idOf } from './forms.js';
import { html, type SafeHtml } from './html.js';
import { actionButton, canDo, csrfField, formatTime, type PageContext, page } from './layout.js';

type Params = { Params: { id: string } };

export function adminPages(app: FastifyInstance, tools: ConsoleTools) {
  const { members, staff: staffService } = app.services;

  function membersPage(context: PageContext, result: SafeHtml | null, problem: string | null) {
    return page(
      context,
      'Members',
      html`<h1>Members</h1>
      ${problem && html`<p class="problem" role="alert">${problem}</p>`}
      ${result}
      ${
        canDo(context, 'campaigner') &&
        html`<h2>Import members</h2>
      <form method="post" action="/console/members/import">${csrfField(context)}
        <label for="csv">CSV of the existing SMS network</label>
        <p class="hint" id="csv-hint">Paste the file with its header row naming the columns ${MEMBER_COLUMNS.join(', ')} (any order). Existing supporters are never changed.</p>
        <textarea id="csv" name="csv" rows="8" required aria-describedby="csv-hint"></textarea>
        <label><input type="checkbox" name="dryRun" value="yes"> Only check the file; import nothing</label>
        <button type="submit">Import</button>
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
    tools.send(reply, membersPage(tools.context(request, reply), null, null)),
  );

  app.post(
    '/members/import',
    // The form's other fields and its encoding add a little to the file itself.
    { onRequest: requireRole('campaigner'), bodyLimit: 2 * MAX_IMPORT_BYTES },
    async (request, reply) => {
      const csv = field(request.body, 'csv');
      const context = () => tools.context(request, reply);
      try {
        const result = await members.importCsv([csv], {
          dryRun: field(request.body, 'dryRun') === 'yes',
          staffId: staffOf(request).id,
        });
        const summary = html`<div class="notice" role="status"><p>${result.dryRun ? 'Checked (nothing imported)' : 'Imported'}: ${result.imported} new, ${result.skipped} already known, ${result.held} with a name to review, ${result.refused.length} refused.</p>
        ${result.refused.length > 0 && html`<ul>${result.refused.slice(0, 50).map((r) => html`<li>Line ${r.line}: ${r.reason}</li>`)}${result.refused.length > 50 && html`<li>… and ${result.refused.length - 50} more</li>`}</ul>`}</div>`;
        return tools.send(reply, membersPage(context(), summary, null));
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        return tools.send(reply, membersPage(context(), null, error.message), error.statusCode);
      }
    },
  );

  app.post('/supporters/erase', { onRequest: requireRole('admin') }, async (request, reply) => {
    const context = () => tools.context(request, reply);
    try {
      const result = await members.erase(field(request.body, 'phoneNumber'), staffOf(request).id);
      const summary = html`<p class="notice" role="status">Erased supporter ${result.supporterId}; ${result.signaturesRemoved} signature(s) taken off future faxes.</p>`;
      return tools.send(reply, membersPage(context(), summary, null));
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      // The service's messages never repeat the number, so they can be shown as they are.
      return tools.send(reply, membersPage(context(), null, error.message), error.statusCode);
    }
  });

  async function staffPage(context: PageContext, notice: SafeHtml | null) {
    const people = await staffService.list();
    const rows = await Promise.all(
      people.map(async (member) => {
        const tokens = await staffService.listTokens(member.id);
        const roleId = `role-${member.id}`;
        return html`<tr><td>${member.email}</td>
          <td><form class="inline" method="post" action="/console/staff/${member.id}">${csrfField(context)}
            <label for="${roleId}" class="hint">Role of ${member.email}</label>
            <select id="${roleId}" name="role">${STAFF_ROLES.map((role) => html`<option value="${role}" ${role === member.role ? html`selected` : null}>${role}</option>`)}</select>
            <button type="submit" class="secondary">Change role</button></form></td>
          <td>${member.disabledAt ? html`disabled ${formatTime(member.disabledAt)} ${actionButton(context, `/console/staff/${member.id}`, 'Enable', { secondary: true, fields: { disabled: 'no' } })}` : actionButton(context, `/console/staff/${member.id}`, `Disable ${member.email}`, { danger: true, fields: { disabled: 'yes' } })}</td>
          <td><ul>${tokens.map((t) => html`<li>${t.label ?? 'token'} ${t.id}: ${t.revokedAt ? `revoked ${formatTime(t.revokedAt)}` : html`last used ${formatTime(t.lastUsedAt)} ${actionButton(context, `/console/tokens/${t.id}/revoke`, 'Revoke', { danger: true })}`}</li>`)}</ul>
            ${actionButton(context, `/console/staff/${member.id}/tokens`, `New token for ${member.email}`, { secondary: true })}</td></tr>`;
      }),
    );
    return page(
      context,
      'Staff',
      html`<h1>Staff</h1>${notice}
      <div class="table-wrap"><table><thead><tr><th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">Account</th><th scope="col">API tokens</th></tr></thead><tbody>${rows}</tbody></table></div>
      <h2>Add a staff member</h2>
      <form method="post" action="/console/staff">${csrfField(context)}
        <label for="new-email">E-mail</label><input type="email" id="new-email" name="email" required>
        <label for="new-role">Role</label><select id="new-role" name="role">${STAFF_ROLES.map((role) => html`<option value="${role}" ${role === 'viewer' ? html`selected` : null}>${role}</option>`)}</select>
        <p class="hint">They sign in to the console once their password is set with: npm run cli -- staff password --email E</p>
        <button type="submit">Add</button>
      </form>`,
    );
  }

  const tokenNotice = (email: string, token: string) =>
    html`<div class="notice" role="status"><p>The API token of ${email}, shown only this once:</p><p class="token">${token}</p></div>`;

  app.get('/staff', { onRequest: requireRole('admin') }, async (request, reply) =>
    tools.send(reply, await staffPage(tools.context(request, reply), null)),
  );

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

  app.post<Params>('/staff/:id', { onRequest: requireRole('admin') }, async (request, reply) => {
    const role = field(request.body, 'role');
    const disabled = field(request.body, 'disabled');
    if (role !== '' && !STAFF_ROLES.includes(role as StaffRole)) {
      throw new AppError(400, 'invalid_role', `Role must be one of ${STAFF_ROLES.join(', ')}.`);
    }
    await staffService.update(
      idOf(request),
      {
        ...(role === '' ? {} : { role: role as StaffRole }),
        ...(disabled === '' ? {} : { disabled: disabled === 'yes' }),
      },
      staffOf(request).id,
    );
    return reply.redirect('/console/staff', 303);
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
    const cursor = (request.query as { cursor?: string }).cursor;
    const { items, nextCursor } = await staffService.auditLog(cursor, 100);
    const context = tools.context(request, reply);
    const rows = items.map(
      (
        entry,
      ) => html`<tr><td>${formatTime(entry.at)}</td><td>${entry.staffId ?? 'system'}</td><td>${entry.action}</td><td>${entry.entityType} ${entry.entityId ?? ''}</td>
        <td><code>${entry.after === null ? '' : JSON.stringify(entry.after)}</code></td></tr>`,
    );
    return tools.send(
      reply,
      page(
        context,
        'Audit log',
        html`<h1>Audit log</h1><div class="table-wrap"><table><thead><tr><th scope="col">When</th><th scope="col">Staff id</th><th scope="col">Action</th><th scope="col">What</th><th scope="col">After</th></tr></thead><tbody>${rows}</tbody></table></div>
        ${nextCursor && html`<p><a href="/console/audit?cursor=${nextCursor}">Older entries</a></p>`}`,
      ),
    );
  });
}
