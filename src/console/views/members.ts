import { html, type SafeHtml } from '../../html.js';
import { canDo, csrfField, type PageContext, page, plural } from './layout.js';

/** What the members page shows besides its forms. */
export interface MembersView {
  count: number;
  latest: { id: number; status: string; rows: number } | null;
  /** The import's limits and columns, for the form's hint. */
  csv: { columns: readonly string[]; maxRows: number; maxBytes: number };
}

export function membersPage(
  context: PageContext,
  { count, latest, csv }: MembersView,
  result: SafeHtml | null,
  problem: string | null,
): SafeHtml {
  return page(
    context,
    'Members',
    html`<h1>Members</h1>
      <p id="member-count"><strong>${count.toLocaleString('en-GB')}</strong>
        ${count === 1 ? 'member' : 'members'} in the network can be texted
        (an action alert reaches them all).</p>
      ${problem && html`<p class="problem" role="alert">${problem}</p>`}
      ${result}
      ${
        latest &&
        html`<p>Latest import: <a href="/console/members/imports/${latest.id}">import ${latest.id}</a>,
          ${latest.status === 'done' ? 'done' : latest.status === 'failed' ? 'failed' : 'under way'}
          (${plural(latest.rows, 'row')}).</p>`
      }
      ${
        canDo(context, 'campaigner') &&
        html`<h2>Import members</h2>
      <form method="post" action="/console/members/import" enctype="multipart/form-data"
        data-upload="/console/members/imports">${csrfField(context)}
        <p class="hint" id="csv-hint">A CSV with a header row naming the columns ${csv.columns.join(', ')}
          (any order), up to ${csv.maxRows.toLocaleString('en-GB')} rows and ${csv.maxBytes / 1_000_000} MB.
          A file is imported in the background: its page shows how far it has got. Existing supporters are
          never changed.</p>
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
        <p class="hint" id="phone-hint">Their number and name are removed everywhere, and they come off
          every future fax. This cannot be undone.</p>
        <input type="text" id="phoneNumber" name="phoneNumber" autocomplete="off" required
          aria-describedby="phone-hint">
        <button type="submit" class="danger">Erase</button>
      </form>`
      }`,
  );
}

/** What a few pasted rows came to. */
export function importSummary(result: {
  dryRun: boolean;
  imported: number;
  skipped: number;
  held: number;
  refused: ReadonlyArray<{ line: number; reason: string }>;
}): SafeHtml {
  return html`<div class="notice" role="status"><p>${
    result.dryRun ? 'Checked (nothing imported)' : 'Imported'
  }: ${result.imported} new, ${result.skipped} already known, ${result.held} with a name to review,
          ${result.refused.length} refused.</p>
        ${
          result.refused.length > 0 &&
          html`<ul>${result.refused.slice(0, 50).map((r) => html`<li>Line ${r.line}: ${r.reason}</li>`)}${
            result.refused.length > 50 && html`<li>… and ${result.refused.length - 50} more</li>`
          }</ul>`
        }</div>`;
}

export function erasedNotice(result: { supporterId: number; signaturesRemoved: number }): SafeHtml {
  return html`<p class="notice" role="status">Erased supporter ${result.supporterId};
    ${plural(result.signaturesRemoved, 'signature')} taken off future faxes.</p>`;
}
