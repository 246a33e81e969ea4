import { html, type SafeHtml } from '../../html.js';
import { formatTime, type PageContext, page, tableHead } from './layout.js';

/** One piece of stuck work (the stuck report's item): never a phone number or a name. */
export interface StuckWork {
  kind: string;
  since: Date;
  reason: string;
  campaignId?: number | null;
  batchId?: number | null;
  broadcastId?: number | null;
}

/** Where staff follow a stuck item up: its broadcast, fax batch or campaign, the most precise first. */
function linkOf(item: StuckWork) {
  if (item.broadcastId)
    return html`<a href="/console/broadcasts/${item.broadcastId}">broadcast ${item.broadcastId}</a>`;
  if (item.batchId) return html`<a href="/console/fax-batches/${item.batchId}">fax batch ${item.batchId}</a>`;
  if (item.campaignId)
    return html`<a href="/console/campaigns/${item.campaignId}">campaign ${item.campaignId}</a>`;
  return '—';
}

/** The page the banner links to: what has stopped moving, and since when. */
export function stuckPage(
  context: PageContext,
  counts: Record<string, number>,
  items: readonly StuckWork[],
): SafeHtml {
  const kinds = Object.entries(counts).filter(([, n]) => n > 0);
  const rows = items.map(
    (item) =>
      html`<tr>${[
        html`<td data-label="Kind">${item.kind}</td>`,
        html`<td data-label="Since">${formatTime(item.since)}</td>`,
        html`<td data-label="Why">${item.reason}</td>`,
        html`<td data-label="Where">${linkOf(item)}</td>`,
      ]}</tr>`,
  );
  return page(
    context,
    'Stuck work',
    html`<h1>Stuck work</h1>
        <p class="hint">Work that has stopped moving. The watchdog drives what it can on every minute;
          what stays here needs someone to look.</p>
        ${
          kinds.length === 0
            ? html`<p>Nothing is stuck.</p>`
            : html`<div class="stats">${kinds.map(
                ([kind, n]) => html`<div class="stat"><strong>${n}</strong>${kind}</div>`,
              )}</div>
        <div class="table-wrap"><table class="cards">${tableHead(['Kind', 'Since', 'Why', 'Where'])}
        <tbody>${rows}</tbody></table></div>`
        }`,
  );
}
