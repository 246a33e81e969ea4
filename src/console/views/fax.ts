import { html, type SafeHtml } from '../../html.js';
import { formatUtc } from '../../time.js';
import {
  actionButton,
  canDo,
  csrfField,
  formatMoney,
  formatSeconds,
  formatTime,
  type PageContext,
  page,
  plural,
  tableHead,
} from './layout.js';

/** A batch's statuses after which nothing more happens to it. */
export const FINISHED = new Set(['delivered', 'written', 'partly_failed', 'failed']);

/** A dry run never reads as delivered; an uncertain e-mail says what is uncertain; blocked says who acts. */
export const statusLabel = (status: string) =>
  status === 'written'
    ? 'written to the outbox (dry run)'
    : status === 'uncertain'
      ? 'uncertain: the mail server may have it'
      : status === 'blocked'
        ? 'blocked: fix the account or sender, tried again hourly'
        : status;
/** Staff read why a part failed, may have been received, or cannot go until they fix something. */
const EXPLAINED = new Set(['failed', 'uncertain', 'blocked']);

const utc = (at: Date | null) => (at ? formatUtc(at) : '—');

interface Estimate {
  estimatedSeconds: number;
  estimatedCost: number;
}

/** What a batch made now would send, target by target, and in all. */
export interface FaxPlan {
  campaign: { title: string; targets: ReadonlyArray<{ id: number; name: string }> };
  perTarget: ReadonlyArray<
    Estimate & {
      target: {
        id: number;
        name: string;
        faxNumbers: readonly string[];
        emails: readonly string[];
        channel: string;
      };
      parts: number;
      pages: number;
    }
  >;
  whole: Estimate & { signatureCount: number; pages: number };
}

export interface BatchListItem {
  id: number;
  status: string;
  signatureCount: number;
  reason: string;
  createdAt: Date;
}

/** The test fax form as typed, and its problem, shown beside its field. */
export interface TestFaxForm {
  faxNumber: string;
  targetId: string;
  problem: string | null;
}

export const blankTestFax: TestFaxForm = { faxNumber: '', targetId: '', problem: null };

const PLAN_COLUMNS = ['Target', 'Fax numbers and e-mail', 'Pages', 'Time', 'Cost', 'Document'];
const BATCH_LIST_COLUMNS = ['Batch', 'Status', 'Names', 'Why', 'Made'];

export function faxPage(
  context: PageContext,
  id: number,
  { campaign, perTarget, whole }: FaxPlan,
  batches: readonly BatchListItem[],
  testFax: TestFaxForm,
): SafeHtml {
  const canWrite = canDo(context, 'campaigner');
  const targetRows = perTarget.map((row) => {
    const addresses = [...row.target.faxNumbers, ...row.target.emails].join(', ');
    const preview = `/console/campaigns/${id}/fax-preview.pdf?targetId=${row.target.id}`;
    return html`<tr>${[
      html`<td data-label="Target">${row.target.name}</td>`,
      html`<td data-label="Fax numbers and e-mail">${addresses} (${row.target.channel})</td>`,
      html`<td data-label="Pages">${row.pages} (${plural(row.parts, 'part')})</td>`,
    ]}
        ${[
          html`<td data-label="Time">${formatSeconds(row.estimatedSeconds)}</td>`,
          html`<td data-label="Cost">${formatMoney(row.estimatedCost)}</td>`,
        ]}
        <td data-label="Document"><a href="${preview}">Preview PDF<span
          class="hint"> for ${row.target.name}</span></a></td></tr>`;
  });
  const batchRows = batches.map(
    (b) => html`<tr>${[
      html`<td data-label="Batch"><a href="/console/fax-batches/${b.id}">Batch ${b.id}</a></td>`,
      html`<td data-label="Status" class="status status-${b.status}">${statusLabel(b.status)}</td>`,
    ]}
        ${[
          html`<td data-label="Names">${b.signatureCount}</td>`,
          html`<td data-label="Why">${b.reason}</td>`,
          html`<td data-label="Made">${formatTime(b.createdAt)}</td>`,
        ]}</tr>`,
  );
  const names = plural(whole.signatureCount, 'name');
  return page(
    context,
    `Fax · ${campaign.title}`,
    html`<h1>Fax: ${campaign.title}</h1>
        <p><a href="/console/campaigns/${id}">Back to the campaign</a></p>
        <h2>The next batch</h2>
        <p><strong>${names}</strong> ${whole.signatureCount === 1 ? 'is' : 'are'} waiting.
          Sending them now takes ${plural(whole.pages, 'page')} in all,
          about ${formatSeconds(whole.estimatedSeconds)} on the line,
          costing about ${formatMoney(whole.estimatedCost)}.</p>
        <div class="table-wrap"><table class="cards">${tableHead(PLAN_COLUMNS)}
        <tbody>${targetRows}</tbody></table></div>
        ${
          canWrite &&
          whole.signatureCount > 0 &&
          html`<p><a class="button" href="/console/campaigns/${id}/fax/confirm">Send the batch…</a></p>`
        }
        ${
          canWrite &&
          html`<h2>Send a test fax</h2>
        <form method="post" action="/console/campaigns/${id}/test-fax" novalidate>${csrfField(context)}
          <label for="test-fax-number">Your fax number</label>
          <p class="hint" id="test-fax-hint">In E.164 form, e.g. +442079460123.
            Only part 1 is sent; no names are used up.</p>
          ${testFax.problem && html`<p class="field-error" id="test-fax-error">${testFax.problem}</p>`}
          <input type="text" id="test-fax-number" name="faxNumber" required value="${testFax.faxNumber}"
            aria-describedby="test-fax-hint${testFax.problem ? ' test-fax-error' : ''}"
            ${testFax.problem ? html`aria-invalid="true"` : null}>
          <label for="test-fax-target">Document of</label>
          <select id="test-fax-target" name="targetId">${campaign.targets.map((t) => {
            const selected = String(t.id) === testFax.targetId ? html`selected` : null;
            return html`<option value="${t.id}" ${selected}>${t.name}</option>`;
          })}</select>
          <button type="submit" class="secondary">Send a test fax</button>
        </form>`
        }
        <h2>Batches</h2>
        ${
          batchRows.length
            ? html`<div class="table-wrap"><table class="cards">${tableHead(BATCH_LIST_COLUMNS)}<tbody>${
                batchRows
              }</tbody></table></div>`
            : html`<p>No batch has been sent yet.</p>`
        }`,
  );
}

export function testFaxQueuedPage(context: PageContext, id: number, faxNumber: string): SafeHtml {
  return page(
    context,
    'Test fax queued',
    html`<h1>Test fax queued</h1><p class="notice" role="status">A test fax to ${faxNumber} is on its way.</p>
        <p><a href="/console/campaigns/${id}/fax">Back to the fax page</a></p>`,
  );
}

/** The step before a batch is made: what goes where, page 1 as each target receives it. */
export function confirmBatchPage(
  context: PageContext,
  id: number,
  { campaign, perTarget, whole }: FaxPlan,
  letterhead: string | null,
): SafeHtml {
  const names = plural(whole.signatureCount, 'name');
  const goes = whole.signatureCount === 1 ? 'goes' : 'go';
  const targets = plural(perTarget.length, 'target');
  return page(
    context,
    'Send the batch?',
    html`<h1>Send the batch?</h1>
        <p id="fax-summary"><strong>${names}</strong> of “${campaign.title}” ${goes} to ${targets}:
          ${plural(whole.pages, 'page')}, about ${formatSeconds(whole.estimatedSeconds)} on the line,
          costing about ${formatMoney(whole.estimatedCost)}.</p>
        <ul>${perTarget.map((row) => {
          const address = row.target.faxNumbers[0] ?? row.target.emails[0] ?? 'no fax number';
          return html`<li>${row.target.name} (${address}):
            ${plural(row.pages, 'page')}, ${formatMoney(row.estimatedCost)}</li>`;
        })}</ul>
        ${
          letterhead &&
          html`<p class="warning" role="alert" id="letterhead-warning">Before you send: ${letterhead}
            (whoever runs Pocket Protest does that).</p>`
        }
        <h2>Page 1, as ${perTarget.length === 1 ? 'the target receives it' : 'each target receives it'}</h2>
        ${perTarget.map((row) => {
          const src = `/console/campaigns/${id}/fax-preview/first-page.pdf?targetId=${row.target.id}`;
          return html`<figure class="fax-preview">
          <iframe class="fax-page" src="${src}#view=FitH&amp;toolbar=0&amp;navpanes=0"
            title="Page 1 of the fax to ${row.target.name}"></iframe>
          <figcaption>${row.target.name}: <a href="${src}">page 1 (PDF)</a></figcaption></figure>`;
        })}
        <form method="post" action="/console/campaigns/${id}/fax-batches">${csrfField(context)}
          <button type="submit">Send ${names} now</button>
          <a href="/console/campaigns/${id}/fax">Cancel</a>
        </form>`,
  );
}

/** One part of a batch to one target, as the batch page lists it. */
export interface DeliveryItem {
  id: number;
  targetId: number;
  targetName: string;
  part: number;
  parts: number;
  pages: number;
  channel: string;
  address: string;
  status: string;
  attempts: number;
  lastError: string | null;
  serverReply: string | null;
  providerCompletedAt: Date | null;
  pagesSent: number | null;
  durationSeconds: number | null;
  remoteId: string | null;
}

export interface BatchDetail {
  id: number;
  campaignId: number;
  status: string;
  signatureCount: number;
  pages: number;
  estimatedCost: number;
  createdAt: Date;
  deliveries: readonly DeliveryItem[];
}

/** What the provider or mail server reported of a part; only what it gives. */
function providerReport(d: DeliveryItem): string {
  const written = d.status === 'written';
  return [
    d.serverReply !== null && `mail server: ${d.serverReply}`,
    d.providerCompletedAt && `${written ? 'written' : 'ended'} ${formatTime(d.providerCompletedAt)}`,
    d.pagesSent !== null &&
      `${d.pagesSent} page${d.pagesSent === 1 ? '' : 's'} ${written ? 'written' : 'sent'}`,
    d.durationSeconds !== null && `${formatSeconds(d.durationSeconds)} on the line`,
    d.remoteId !== null && `remote machine ${d.remoteId}`,
  ]
    .filter((fact): fact is string => typeof fact === 'string')
    .join(' · ');
}

/** The rows of a batch's deliveries: in its page, and in its live JSON as they change. */
export function deliveryRows(batch: BatchDetail, context: PageContext): SafeHtml {
  const canWrite = canDo(context, 'campaigner');
  return html`${batch.deliveries.map(
    (d) => html`<tr>${[
      html`<td data-label="Target">${d.targetName}</td>`,
      html`<td data-label="Part">${d.part} of ${d.parts}</td>`,
      html`<td data-label="Pages">${d.pages}</td>`,
      html`<td data-label="Channel">${d.channel === 'email' ? 'e-mail' : 'fax'}</td>`,
      html`<td data-label="Fax number or e-mail">${d.address}</td>`,
    ]}
        <td data-label="Status" class="status status-${d.status}"
          data-delivery-status="${d.id}">${statusLabel(d.status)}</td><td
          data-label="Attempts">${d.attempts}</td>
        <td data-label="Provider’s report" data-provider-report="${d.id}">${providerReport(d)}</td>
        <td data-label="Why it failed">${EXPLAINED.has(d.status) ? (d.lastError ?? 'unknown') : ''}</td>
        <td data-label="Document"><a
          href="/console/fax-batches/${batch.id}/document?targetId=${d.targetId}&amp;part=${d.part}">PDF</a>
        ${
          canWrite &&
          d.status === 'failed' &&
          actionButton(context, `/console/fax-deliveries/${d.id}/retry`, `Retry ${d.targetName}`, {
            fields: { batch: String(batch.id) },
          })
        }
        ${
          canWrite &&
          d.status === 'blocked' &&
          actionButton(
            context,
            `/console/fax-deliveries/${d.id}/retry`,
            `Fixed: send to ${d.targetName} now`,
            { fields: { batch: String(batch.id) } },
          )
        }
        ${
          canWrite &&
          d.status === 'uncertain' &&
          actionButton(context, `/console/fax-deliveries/${d.id}/resend`, `Resend to ${d.address}`, {
            fields: { batch: String(batch.id) },
          })
        }</td></tr>`,
  )}`;
}

const BATCH_COLUMNS = [
  'Target',
  'Part',
  'Pages',
  'Channel',
  'Fax number or e-mail',
  'Status',
  'Attempts',
  'Provider’s report',
  'Why it failed',
  'Document',
];

export function batchPage(context: PageContext, batch: BatchDetail): SafeHtml {
  return page(
    context,
    `Fax batch ${batch.id}`,
    html`<h1>Fax batch ${batch.id}</h1>
        <p><a href="/console/campaigns/${batch.campaignId}/fax">Back to the fax page</a> ·
          <a href="/console/fax-batches/${batch.id}/receipt">Delivery receipt</a></p>
        <div data-poll="/console/fax-batches/${batch.id}/live.json" data-every="1500">
        <p aria-live="polite">Status:
          <strong class="status" data-field="status">${statusLabel(batch.status)}</strong> ·
          ${plural(batch.signatureCount, 'name')} · ${plural(batch.pages, 'page')} ·
          about ${formatMoney(batch.estimatedCost)} · made ${formatTime(batch.createdAt)}</p>
        <div class="table-wrap"><table class="cards">${tableHead(BATCH_COLUMNS)}
        <tbody data-html="deliveries">${deliveryRows(batch, context)}</tbody></table></div></div>`,
  );
}

/** A batch's delivery receipt (the fax receipts service's `batchReceipt`). */
export interface BatchReceiptView {
  batchId: number;
  campaign: { keyword: string; title: string };
  signatureCount: number;
  createdAt: Date;
  status: string;
  sentence: string | null;
  deliveries: ReadonlyArray<{
    targetName: string;
    part: number;
    parts: number;
    channel: string;
    status: string;
    provider: string | null;
    providerFaxId: string | null;
    address: string;
    startedAt: Date | null;
    endedAt: Date | null;
    pages: number;
    pagesSent: number | null;
    durationSeconds: number | null;
    remoteId: string | null;
    serverReply: string | null;
    documentSha256: string | null;
  }>;
}

export function receiptPage(context: PageContext, receipt: BatchReceiptView): SafeHtml {
  return page(
    context,
    `Delivery receipt, batch ${receipt.batchId}`,
    html`<article class="receipt">
          <h1>Delivery receipt — fax batch ${receipt.batchId}</h1>
          <p>${receipt.campaign.keyword}: ${receipt.campaign.title} · ${receipt.signatureCount} names ·
            made ${utc(receipt.createdAt)} · status ${statusLabel(receipt.status)}</p>
          ${
            receipt.sentence
              ? html`<p><strong>Received by ${receipt.sentence}.</strong></p>`
              : html`<p>Not every target has received this batch yet.</p>`
          }
          <p class="no-print"><a href="/console/fax-batches/${receipt.batchId}/receipt.pdf" download>Download
            the receipt (PDF)</a> ·
            <a href="/console/fax-batches/${receipt.batchId}">Back to the batch</a> · Times in UTC.</p>
          ${receipt.deliveries.map(
            (d) => html`<section><h2>${d.targetName} — part ${d.part} of ${d.parts},
              ${d.channel === 'fax' ? 'fax' : 'e-mail'}</h2>
            <dl class="facts">
              <dt>Status</dt><dd>${statusLabel(d.status)}</dd>
              <dt>Provider</dt><dd>${d.provider ?? '—'}</dd>
              <dt>Provider’s id</dt><dd>${d.providerFaxId ?? '—'}</dd>
              <dt>${d.channel === 'fax' ? 'Number dialled' : 'Address'}</dt><dd>${d.address}</dd>
              <dt>Started</dt><dd>${utc(d.startedAt)}</dd>
              <dt>Ended</dt><dd>${utc(d.endedAt)}</dd>
              <dt>Pages</dt><dd>${
                d.pagesSent === null ? `${d.pages}` : `${d.pagesSent} of ${d.pages} sent`
              }</dd>
              <dt>Call duration</dt><dd>${
                d.durationSeconds === null ? 'not reported by the provider' : formatSeconds(d.durationSeconds)
              }</dd>
              <dt>Remote machine</dt><dd>${d.remoteId ?? 'not reported by the provider'}</dd>
              ${d.serverReply === null ? null : html`<dt>Mail server reply</dt><dd>${d.serverReply}</dd>`}
              <dt>SHA-256 of the PDF</dt><dd><code>${d.documentSha256 ?? '—'}</code></dd>
            </dl></section>`,
          )}
          </article>`,
  );
}
