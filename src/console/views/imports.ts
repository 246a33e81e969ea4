/** A members import's progress page. */
import { html, type SafeHtml } from '../../html.js';
import { plural } from './layout.js';

/** How often the progress page asks how far the import has got. */
const POLL_EVERY_MS = 1_000;

export const number = (n: number) => n.toLocaleString('en-GB');

/** An import job as the page shows it. */
export interface ImportShown {
  id: number;
  status: 'queued' | 'running' | 'done' | 'failed';
  dryRun: boolean;
  rows: number;
  processed: number;
  imported: number;
  skipped: number;
  held: number;
  refusedCount: number;
  refused: ReadonlyArray<{ line: number; reason: string }>;
  error: string | null;
}

/** Where the import stands, in words (see progressOf in console/imports.ts). */
export interface ImportProgress {
  state: string;
  checked: string;
  rows: string;
  processed: number;
  rate: string;
  left: string;
}

/** What the finished import did, or why it failed; nothing while it runs. */
export function outcomeView(job: ImportShown): SafeHtml | null {
  if (job.status === 'failed')
    return html`<p class="problem" role="alert">${job.error ?? 'The import failed.'}</p>`;
  if (job.status !== 'done') return null;
  const more = job.refusedCount - job.refused.length;
  const refused = job.refused.map((r) => html`<li>Line ${r.line}: ${r.reason}</li>`);
  const done = job.dryRun ? 'Checked (nothing imported)' : 'Imported';
  const counts = `${number(job.imported)} new, ${number(job.skipped)} already known`;
  return html`<div class="notice" role="status"><p>${done}: ${counts},
    ${number(job.held)} with a name to review, ${number(job.refusedCount)} refused.</p>
    ${
      job.refused.length > 0 &&
      html`<h2>Refused rows</h2><ul class="refused">${refused}${
        more > 0 && html`<li>… and ${plural(more, 'more row')}</li>`
      }</ul>`
    }</div>`;
}

export function importView(job: ImportShown, progress: ImportProgress): SafeHtml {
  const over = job.status === 'done' || job.status === 'failed';
  const poll = html`data-poll="/console/members/imports/${job.id}/live.json" data-every="${POLL_EVERY_MS}"`;
  return html`<h1>Members import ${job.id}${job.dryRun ? ' (a check: nothing is imported)' : ''}</h1>
        <div class="import-progress" ${over ? '' : poll}>
          <p class="status" data-field="state" role="status">${progress.state}</p>
          <label for="import-bar">Rows checked</label>
          <progress id="import-bar" max="${Math.max(job.rows, 1)}" value="${job.processed}"
            data-value="processed">${progress.checked} of ${progress.rows}</progress>
          <p aria-live="polite"><span data-field="checked">${progress.checked}</span> of <span
            data-field="rows">${progress.rows}</span> rows checked<span class="rate"> · <span
        data-field="rate">${progress.rate}</span> · <span data-field="left">${progress.left}</span></span></p>
          <div data-html="outcome">${outcomeView(job)}</div>
        </div>
        <p><a href="/console/members">Back to the members</a></p>`;
}
