import { type HtmlValue, html, type SafeHtml } from '../../html.js';

/**
 * A staff member's role as the pages see it. Spelt out here, since a view imports no service; the
 * console's context is built from the staff service's role, so the compiler checks that they agree.
 */
export type StaffRole = 'admin' | 'campaigner' | 'viewer';

export interface PageContext {
  staff: { email: string; role: StaffRole } | null;
  /** The CSRF token every form of the page carries. */
  csrf: string;
  /** Pieces of work stuck right now: while there are any, every page says so. */
  stuck?: number;
}

export function csrfField(context: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${context.csrf}">`;
}

/** A one-button form posting to `action`; the console's way to run a state change. */
export function actionButton(
  context: PageContext,
  action: string,
  label: string,
  options: { danger?: boolean; secondary?: boolean; fields?: Record<string, string> } = {},
): SafeHtml {
  const hidden = Object.entries(options.fields ?? {}).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
  const kind = options.danger ? 'danger' : options.secondary ? 'secondary' : '';
  return html`<form class="inline" method="post" action="${action}">${csrfField(context)}${hidden}<button
    type="submit" class="${kind}">${label}</button></form>`;
}

const RANK: Record<StaffRole, number> = { admin: 3, campaigner: 2, viewer: 1 };

export function canDo(context: PageContext, role: StaffRole): boolean {
  return context.staff !== null && RANK[context.staff.role] >= RANK[role];
}

/**
 * Where and in what money the console shows times and costs: ORG_TIMEZONE and CURRENCY, set once when
 * the console is registered (every page of one process shows the same), UTC and GBP until then.
 */
const display = { timeZone: 'UTC', currency: 'GBP' };
const timeFormats = new Map<string, Intl.DateTimeFormat>();

export function setDisplay(settings: { timeZone: string; currency: string }) {
  display.timeZone = settings.timeZone;
  display.currency = settings.currency;
}

export function displayTimeZone(): string {
  return display.timeZone;
}

/** "1 Dec 2026, 09:30 GMT": the time as the organisation's clock shows it, the zone named. */
export function formatTime(value: Date | string | null, timeZone = display.timeZone): string {
  if (value === null) return '—';
  let format = timeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    timeFormats.set(timeZone, format);
  }
  return format.format(new Date(value));
}

/** "£12.34": an amount with its currency. */
export function formatMoney(value: number, currency = display.currency): string {
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(value);
}

/** "1 name", "2 names": a count with its noun, singular or plural. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-GB')} ${count === 1 ? one : many}`;
}

export function formatSeconds(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes < 1 ? `${seconds} s` : minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
}

/** A whole console page: navigation for the signed-in staff member, then `body`. */
export function page(
  context: PageContext,
  title: string,
  body: SafeHtml,
  notice: { text: string; problem?: boolean } | null = null,
): SafeHtml {
  const nav = context.staff
    ? html`<nav aria-label="Console"><ul>
        <li><a href="/console">Dashboard</a></li>
        <li><a href="/console/campaigns">Campaigns</a></li>
        <li><a href="/console/members">Members</a></li>
        ${
          canDo(context, 'admin') &&
          html`<li><a href="/console/staff">Staff</a></li><li><a
            href="/console/audit">Audit log</a></li><li><a href="/console/queues">Queues</a></li>`
        }
      </ul></nav>
      <form method="post" action="/console/logout">${csrfField(context)}<a href="/console/account"
        title="Your account">${context.staff.email}</a> <span>(${context.staff.role})</span>
        <button type="submit" class="secondary">Sign out</button></form>`
    : null;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Pocket Protest console</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<header class="top"><strong>Pocket Protest</strong>${nav}</header>
<main>
${
  context.staff && context.stuck
    ? html`<p class="problem" role="status">${
        context.stuck === 1 ? '1 piece of work is' : `${context.stuck} pieces of work are`
      } stuck. <a href="/console/stuck">See what is stuck</a></p>`
    : null
}
${
  notice &&
  html`<p class="${notice.problem ? 'problem' : 'notice'}" role="${notice.problem ? 'alert' : 'status'}">${
    notice.text
  }</p>`
}
${body}
</main>
</body>
</html>`;
}

/** A table's head row: one column header per name. */
export function tableHead(columns: readonly string[]): SafeHtml {
  return html`<thead><tr>${columns.map((column) => html`<th scope="col">${column}</th>`)}</tr></thead>`;
}

/**
 * A table that reads on a phone: each cell carries its column's name (`data-label`), which the
 * stylesheet shows beside the cell when the rows stack as cards on a narrow screen.
 */
export function dataTable(
  columns: readonly string[],
  rows: ReadonlyArray<{ id?: string; cells: readonly HtmlValue[] }>,
  empty: string,
  caption: SafeHtml | null = null,
): SafeHtml {
  const body = rows.length
    ? rows.map(
        (row) =>
          html`<tr ${row.id ? html`id="${row.id}"` : null}>${row.cells.map(
            (cell, i) => html`<td data-label="${columns[i] ?? ''}">${cell}</td>`,
          )}</tr>`,
      )
    : html`<tr><td colspan="${columns.length}">${empty}</td></tr>`;
  return html`<div class="table-wrap"><table class="cards">${
    caption && html`<caption class="hint">${caption}</caption>`
  }
    ${tableHead(columns)}
    <tbody>${body}</tbody></table></div>`;
}
