import { html, type SafeHtml } from '../../html.js';
import { auditDiff } from '../audit-diff.js';
import {
  actionButton,
  csrfField,
  dataTable,
  formatTime,
  type PageContext,
  page,
  type StaffRole,
} from './layout.js';

/** A staff member with their API tokens, as the staff page lists them. */
export interface StaffMemberItem {
  id: number;
  email: string;
  role: StaffRole;
  disabledAt: Date | null;
  tokens: ReadonlyArray<{
    id: number;
    label: string | null;
    lastUsedAt: Date | null;
    revokedAt: Date | null;
  }>;
}

/** The invitation form's input and its problem, shown beside its field, when it comes back. */
export interface InviteForm {
  email: string;
  role: string;
  problem: { field: string; message: string } | null;
}

export const blankInvite: InviteForm = { email: '', role: 'viewer', problem: null };

/** The staff page's other facts: the roles to choose from, how long an invitation works. */
export interface StaffSettings {
  roles: readonly StaffRole[];
  inviteDays: number;
}

function staffRow(context: PageContext, member: StaffMemberItem, roles: readonly StaffRole[]) {
  const roleId = `role-${member.id}`;
  return {
    id: `staff-${member.id}`,
    cells: [
      member.email,
      html`<form class="inline" method="post" action="/console/staff/${member.id}">${csrfField(context)}
            <label for="${roleId}" class="hint">Role of ${member.email}</label>
            <select id="${roleId}" name="role">${roles.map(
              (role) =>
                html`<option value="${role}"
                  ${role === member.role ? html`selected` : null}>${role}</option>`,
            )}</select>
            <button type="submit" class="secondary">Change role</button></form>`,
      member.disabledAt
        ? html`disabled ${formatTime(member.disabledAt)} ${actionButton(
            context,
            `/console/staff/${member.id}`,
            'Enable',
            { secondary: true, fields: { disabled: 'no' } },
          )}`
        : html`${actionButton(
            context,
            `/console/staff/${member.id}/reset`,
            `Password reset link for ${member.email}`,
            { secondary: true },
          )}
              ${actionButton(context, `/console/staff/${member.id}`, `Disable ${member.email}`, {
                danger: true,
                fields: { disabled: 'yes' },
              })}`,
      html`<ul>${member.tokens.map(
        (t) =>
          html`<li>${t.label ?? 'token'} ${t.id}: ${
            t.revokedAt
              ? `revoked ${formatTime(t.revokedAt)}`
              : html`${t.lastUsedAt ? `last used ${formatTime(t.lastUsedAt)}` : 'never used'}
                  ${actionButton(context, `/console/tokens/${t.id}/revoke`, 'Revoke', { danger: true })}`
          }</li>`,
      )}</ul>
            ${actionButton(context, `/console/staff/${member.id}/tokens`, `New token for ${member.email}`, {
              secondary: true,
            })}`,
    ],
  };
}

export function staffPage(
  context: PageContext,
  people: readonly StaffMemberItem[],
  { roles, inviteDays }: StaffSettings,
  notice: SafeHtml | null,
  invite: InviteForm,
): SafeHtml {
  const problemFor = (name: string) =>
    invite.problem?.field === name
      ? html`<p class="field-error" id="invite-${name}-error">${invite.problem.message}</p>`
      : null;
  const invalid = (name: string) =>
    invite.problem?.field === name ? html`aria-invalid="true" aria-describedby="invite-${name}-error"` : null;
  const rows = people.map((member) => staffRow(context, member, roles));
  return page(
    context,
    'Staff',
    html`<h1>Staff</h1>${notice}
      ${dataTable(['E-mail', 'Role', 'Account', 'API tokens'], rows, 'No staff yet.')}
      <h2 id="invite">Invite a colleague</h2>
      <form method="post" action="/console/staff/invite" novalidate>${csrfField(context)}
        ${
          invite.problem &&
          invite.problem.field === 'form' &&
          html`<p class="problem" role="alert">${invite.problem.message}</p>`
        }
        <label for="new-email">Their e-mail</label>${problemFor('email')}
        <input type="email" id="new-email" name="email" required value="${invite.email}" ${invalid('email')}>
        <label for="new-role">Role</label>${problemFor('role')}
        <select id="new-role" name="role" ${invalid('role')}>${roles.map(
          (role) =>
            html`<option value="${role}" ${role === invite.role ? html`selected` : null}>${role}</option>`,
        )}</select>
        <p class="hint">You get a link, shown once, to send them; it works once, for ${inviteDays} days,
          and through it they choose their password.</p>
        <button type="submit">Invite</button>
      </form>`,
  );
}

export const tokenNotice = (email: string, token: string): SafeHtml =>
  html`<div class="notice" role="status"><p>The API token of ${email}, shown only this once:</p><p
    class="token">${token}</p></div>`;

/** A one-time link, shown once, for staff to pass on themselves. */
export const linkNotice = (what: string, email: string, url: string, expiresAt: Date): SafeHtml =>
  html`<div class="notice" role="status" id="password-link"><p>${what} for ${email}, shown only this once:
      send it to them yourself. It works once, until ${formatTime(expiresAt)}.</p>
      <p class="token">${url}</p></div>`;

/** A message kept for the page after a redirect. */
export const flashNotice = (flash: { text: string; problem: boolean } | null): SafeHtml | null =>
  flash && html`<p class="${flash.problem ? 'problem' : 'notice'}" role="status">${flash.text}</p>`;

export interface AuditEntry {
  at: Date;
  email: string | null;
  staffId: number | null;
  action: string;
  entityType: string;
  entityId: string | number | null;
  before: unknown;
  after: unknown;
}

/** The audit log's filters as typed: who (a staff id, or `system`), an action's words, a kind of thing. */
export interface AuditFilters {
  who: string;
  action: string;
  entity: string;
}

const ENTITIES = ['campaign', 'signature', 'staff', 'api_token', 'fax_batch', 'broadcast', 'supporter'];

function auditRow(entry: AuditEntry) {
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
              html`<li><code>${change.field}</code>: ${[
                change.before !== undefined && html`<del>${change.before}</del>`,
                change.before !== undefined && change.after !== undefined && ' → ',
                change.after !== undefined && html`<ins>${change.after}</ins>`,
              ]}</li>`,
          )}</ul>`,
    ],
  };
}

export function auditPage(
  context: PageContext,
  { items, nextCursor }: { items: readonly AuditEntry[]; nextCursor: string | null },
  people: ReadonlyArray<{ id: number; email: string }>,
  { who, action, entity }: AuditFilters,
): SafeHtml {
  const filters = new URLSearchParams({
    ...(who ? { who } : {}),
    ...(action ? { action } : {}),
    ...(entity ? { entity } : {}),
  });
  return page(
    context,
    'Audit log',
    html`<h1>Audit log</h1>
        <form method="get" action="/console/audit" class="filters" role="search">
          <div><label for="who">Who</label><select id="who" name="who"><option value="">Anyone</option>
            <option value="system" ${who === 'system' ? html`selected` : null}>System or command line</option>
            ${people.map(
              (person) =>
                html`<option value="${person.id}"
                  ${who === String(person.id) ? html`selected` : null}>${person.email}</option>`,
            )}</select></div>
          <div><label for="action">Action contains</label><input type="text" id="action" name="action"
            value="${action}" placeholder="e.g. password"></div>
          <div><label for="entity">Of what</label><select id="entity" name="entity"><option
            value="">Anything</option>
            ${ENTITIES.map(
              (kind) =>
                html`<option value="${kind}"
                  ${entity === kind ? html`selected` : null}>${kind.replace('_', ' ')}</option>`,
            )}</select></div>
          <div><button type="submit">Filter</button>
            ${filters.size > 0 && html`<a href="/console/audit">Clear</a>`}</div>
        </form>
        ${dataTable(['When', 'Who', 'What', 'Of what', 'Changes'], items.map(auditRow), 'No entries match.')}
        ${
          nextCursor &&
          html`<p><a href="/console/audit?${
            filters.size > 0 ? `${filters.toString()}&` : ''
          }cursor=${nextCursor}">Older entries</a></p>`
        }`,
  );
}
