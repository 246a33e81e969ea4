import { html, type SafeHtml } from '../../html.js';
import { formatTime, type PageContext, page } from './layout.js';

const HOUR = 3_600_000;

/** How long until a deadline, in words: "2 d 4 h", "5 h 12 min", "12 min", "less than a minute", "passed". */
export function countdown(ms: number): string {
  if (ms <= 0) return 'passed';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'less than a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  const rest = minutes % 60;
  if (hours > 0) return rest > 0 ? `${hours} h ${rest} min` : `${hours} h`;
  return `${minutes} min`;
}

const names = (n: number) => (n === 1 ? '1 name' : `${n.toLocaleString('en-GB')} names`);

/** An open action as its card shows it (the campaigns service's `openOverview`). */
export interface OpenAction {
  id: number;
  keyword: string;
  title: string;
  closesAt: Date | null;
  openedAt: Date | null;
  signatureCount: number;
  heldCount: number;
  pendingFaxCount: number;
  lastHour: number;
  lastBatch: { id: number; status: string; signatureCount: number; createdAt: Date } | null;
}

/** Everything the dashboard shows, read at `now`. */
export interface DashboardView {
  open: readonly OpenAction[];
  sending: ReadonlyArray<{ id: number; campaignId: number; status: string; handled: number; total: number }>;
  counts: Record<string, number>;
  items: ReadonlyArray<{ since: Date }>;
  now: Date;
}

/** The numbers that move, by `data-field` name, for the page and its live JSON alike. */
export function fieldsOf({ open, now }: DashboardView): Record<string, string | number> {
  const fields: Record<string, string | number> = {};
  for (const c of open) {
    fields[`signatures-${c.id}`] = c.signatureCount;
    fields[`lastHour-${c.id}`] = c.lastHour;
    fields[`pendingFax-${c.id}`] = c.pendingFaxCount;
    fields[`held-${c.id}`] = c.heldCount;
    fields[`deadline-${c.id}`] = c.closesAt ? countdown(c.closesAt.getTime() - now.getTime()) : 'no deadline';
    fields[`fax-${c.id}`] = c.lastBatch ? c.lastBatch.status : 'none yet';
  }
  return fields;
}

export function stuckSection({ counts, items }: DashboardView): SafeHtml {
  const kinds = Object.entries(counts).filter(([, n]) => n > 0);
  if (kinds.length === 0) return html`<p class="notice" role="status">Nothing is stuck.</p>`;
  const total = kinds.reduce((sum, [, n]) => sum + n, 0);
  return html`<p class="problem">${total === 1 ? '1 piece of work is' : `${total} pieces of work are`} stuck:
      ${kinds.map(([kind, n], i) => html`${i > 0 ? ', ' : ''}${n} ${kind}`)}; the oldest since
      ${formatTime(items[0]?.since ?? null)}.
      <a href="/console/stuck">See what is stuck</a></p>`;
}

export function sendingSection({ sending, open }: DashboardView): SafeHtml {
  if (sending.length === 0) return html`<p>No update is going out.</p>`;
  const titles = new Map(open.map((c) => [c.id, c.title]));
  return html`<ul>${sending.map(
    (b) =>
      html`<li><a href="/console/broadcasts/${b.id}">Update ${b.id}</a> (${
        titles.get(b.campaignId) ?? `campaign ${b.campaignId}`
      }): ${b.status}, ${b.handled} of ${b.total} handled</li>`,
  )}</ul>`;
}

function card(c: OpenAction, now: Date): SafeHtml {
  const soon = c.closesAt !== null && c.closesAt.getTime() - now.getTime() < 24 * HOUR;
  const stat = (key: string, value: number, label: string) =>
    html`<div class="stat"><strong data-field="${key}-${c.id}">${value}</strong>${label}</div>`;
  const batch = c.lastBatch;
  return html`<article class="card" aria-labelledby="campaign-${c.id}">
      <h2 id="campaign-${c.id}"><a href="/console/campaigns/${c.id}">${c.title}</a></h2>
      <p class="hint">Keyword ${c.keyword} · open since ${formatTime(c.openedAt)}</p>
      <div class="stats">${[
        stat('signatures', c.signatureCount, 'names'),
        stat('lastHour', c.lastHour, 'in the last hour'),
        stat('pendingFax', c.pendingFaxCount, 'waiting for the fax'),
      ]}</div>
      <dl>
        <dt>Deadline</dt><dd>${
          c.closesAt
            ? html`<span class="${soon ? 'soon' : ''}"
                data-field="deadline-${c.id}">${countdown(c.closesAt.getTime() - now.getTime())}</span>
                (${formatTime(c.closesAt)})`
            : html`<span data-field="deadline-${c.id}">no deadline</span>`
        }</dd>
        <dt>Last fax</dt><dd>${
          batch
            ? html`<a href="/console/fax-batches/${batch.id}">batch ${batch.id}</a>:
                <span class="status status-${batch.status}" data-field="fax-${c.id}">${batch.status}</span>,
                ${names(batch.signatureCount)}, ${formatTime(batch.createdAt)}`
            : html`<span data-field="fax-${c.id}">none yet</span>`
        }</dd>
        <dt>For review</dt><dd><span data-field="held-${c.id}">${c.heldCount}</span> held</dd>
      </dl>
      <p><a href="/console/campaigns/${c.id}/fax">Fax</a> ·
        <a href="/console/campaigns/${c.id}/updates">Text an update</a></p>
    </article>`;
}

/** The console's home: every open action at a glance, refreshed while it is open. */
export function dashboardPage(context: PageContext, view: DashboardView): SafeHtml {
  return page(
    context,
    'Dashboard',
    html`<h1>Dashboard</h1>
      <div data-poll="/console/dashboard.json" data-every="5000">
        <h2>Stuck work</h2>
        <div data-html="stuck">${stuckSection(view)}</div>
        <h2>Open actions</h2>
        ${
          view.open.length === 0
            ? html`<p>No action is open. <a href="/console/campaigns">See the campaigns</a></p>`
            : html`<div class="card-grid">${view.open.map((c) => card(c, view.now))}</div>`
        }
        <h2>Updates going out</h2>
        <div data-html="sending">${sendingSection(view)}</div>
      </div>`,
  );
}
