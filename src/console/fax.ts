import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { estimate } from '../fax/layout.js';
import { letterheadWarning } from '../fax/letterhead.js';
import { formatUtc } from '../fax/receipts.js';
import { renderFaxPartToBuffer } from '../fax/render.js';
import { html } from '../html.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { type ConsoleTools, field, idOf, numeric } from './forms.js';

/** The test fax form as typed, and its problem, shown beside its field. */
interface TestFaxForm {
  faxNumber: string;
  targetId: string;
  problem: string | null;
}

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
} from './layout.js';

type Params = { Params: { id: string } };
const FINISHED = new Set(['delivered', 'written', 'partly_failed', 'failed']);
/** A dry run never reads as delivered; an uncertain e-mail says what is uncertain; blocked says who acts. */
const statusLabel = (status: string) =>
  status === 'written'
    ? 'written to the outbox (dry run)'
    : status === 'uncertain'
      ? 'uncertain: the mail server may have it'
      : status === 'blocked'
        ? 'blocked: fix the account or sender, tried again hourly'
        : status;
/** Staff read why a part failed, may have been received, or cannot go until they fix something. */
const EXPLAINED = new Set(['failed', 'uncertain', 'blocked']);

type Delivery = Awaited<ReturnType<FastifyInstance['services']['batches']['get']>>['deliveries'][number];

/** What the provider or mail server reported of a part; only what it gives. */
function providerReport(d: Delivery): string {
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

export function faxPages(app: FastifyInstance, tools: ConsoleTools) {
  const { batches, campaigns, config, deliveries, receipts } = app.services;

  /** What a batch made now would send, target by target. */
  async function plan(campaignId: number) {
    const campaign = await campaigns.get(campaignId);
    const perTarget = await Promise.all(
      campaign.targets.map(async (target) => {
        const preview = await batches.preview(campaignId, target.id);
        return {
          target,
          parts: preview.parts,
          pages: preview.targetPages,
          ...estimate(preview.targetPages, config.fax),
        };
      }),
    );
    const whole = await batches.preview(campaignId, null);
    return { campaign, perTarget, whole };
  }

  async function faxPage(
    context: PageContext,
    id: number,
    testFax: TestFaxForm = { faxNumber: '', targetId: '', problem: null },
  ) {
    const { campaign, perTarget, whole } = await plan(id);
    const { items } = await batches.list(id, undefined, 50);
    const canWrite = canDo(context, 'campaigner');
    const targetRows = perTarget.map(
      (
        row,
      ) => html`<tr><td data-label="Target">${row.target.name}</td><td data-label="Fax numbers and e-mail">${[...row.target.faxNumbers, ...row.target.emails].join(', ')} (${row.target.channel})</td><td data-label="Pages">${row.pages} (${plural(row.parts, 'part')})</td>
        <td data-label="Time">${formatSeconds(row.estimatedSeconds)}</td><td data-label="Cost">${formatMoney(row.estimatedCost)}</td>
        <td data-label="Document"><a href="/console/campaigns/${id}/fax-preview.pdf?targetId=${row.target.id}">Preview PDF<span class="hint"> for ${row.target.name}</span></a></td></tr>`,
    );
    const batchRows = items.map(
      (
        b,
      ) => html`<tr><td data-label="Batch"><a href="/console/fax-batches/${b.id}">Batch ${b.id}</a></td><td data-label="Status" class="status status-${b.status}">${statusLabel(b.status)}</td>
        <td data-label="Names">${b.signatureCount}</td><td data-label="Why">${b.reason}</td><td data-label="Made">${formatTime(b.createdAt)}</td></tr>`,
    );
    return page(
      context,
      `Fax · ${campaign.title}`,
      html`<h1>Fax: ${campaign.title}</h1>
        <p><a href="/console/campaigns/${id}">Back to the campaign</a></p>
        <h2>The next batch</h2>
        <p><strong>${plural(whole.signatureCount, 'name')}</strong> ${whole.signatureCount === 1 ? 'is' : 'are'} waiting. Sending them now takes ${plural(whole.pages, 'page')} in all,
          about ${formatSeconds(whole.estimatedSeconds)} on the line, costing about ${formatMoney(whole.estimatedCost)}.</p>
        <div class="table-wrap"><table class="cards"><thead><tr><th scope="col">Target</th><th scope="col">Fax numbers and e-mail</th><th scope="col">Pages</th><th scope="col">Time</th><th scope="col">Cost</th><th scope="col">Document</th></tr></thead>
        <tbody>${targetRows}</tbody></table></div>
        ${canWrite && whole.signatureCount > 0 && html`<p><a class="button" href="/console/campaigns/${id}/fax/confirm">Send the batch…</a></p>`}
        ${
          canWrite &&
          html`<h2>Send a test fax</h2>
        <form method="post" action="/console/campaigns/${id}/test-fax" novalidate>${csrfField(context)}
          <label for="test-fax-number">Your fax number</label>
          <p class="hint" id="test-fax-hint">In E.164 form, e.g. +442079460123. Only part 1 is sent; no names are used up.</p>
          ${testFax.problem && html`<p class="field-error" id="test-fax-error">${testFax.problem}</p>`}
          <input type="text" id="test-fax-number" name="faxNumber" required value="${testFax.faxNumber}"
            aria-describedby="test-fax-hint${testFax.problem ? ' test-fax-error' : ''}" ${testFax.problem ? html`aria-invalid="true"` : null}>
          <label for="test-fax-target">Document of</label>
          <select id="test-fax-target" name="targetId">${campaign.targets.map((t) => html`<option value="${t.id}" ${String(t.id) === testFax.targetId ? html`selected` : null}>${t.name}</option>`)}</select>
          <button type="submit" class="secondary">Send a test fax</button>
        </form>`
        }
        <h2>Batches</h2>
        ${batchRows.length ? html`<div class="table-wrap"><table class="cards"><thead><tr><th scope="col">Batch</th><th scope="col">Status</th><th scope="col">Names</th><th scope="col">Why</th><th scope="col">Made</th></tr></thead><tbody>${batchRows}</tbody></table></div>` : html`<p>No batch has been sent yet.</p>`}`,
    );
  }

  app.get<Params>('/campaigns/:id/fax', { onRequest: requireRole('viewer') }, async (request, reply) =>
    tools.send(reply, await faxPage(tools.context(request, reply), idOf(request))),
  );

  // The same document as the API's preview, for a signed-in session rather than a token.
  app.get<Params>(
    '/campaigns/:id/fax-preview.pdf',
    { onRequest: requireRole('viewer') },
    async (request, reply) => {
      const id = idOf(request);
      const targetId = (request.query as { targetId?: string }).targetId;
      const preview = await batches.preview(id, targetId === undefined ? null : numeric(targetId));
      const pdf = await renderFaxPartToBuffer(preview.input, preview.part);
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="campaign-${id}-preview.pdf"`)
        .header('cache-control', 'no-store')
        .send(pdf);
    },
  );

  // Page 1 of a target's next fax, as the target will receive it, for the confirmation page to show.
  app.get<Params>(
    '/campaigns/:id/fax-preview/first-page.pdf',
    { onRequest: requireRole('viewer') },
    async (request, reply) => {
      const id = idOf(request);
      const preview = await batches.preview(id, numeric((request.query as { targetId?: string }).targetId));
      const pdf = await renderFaxPartToBuffer(preview.input, preview.part, { firstPageOnly: true });
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="campaign-${id}-page-1.pdf"`)
        .header('cache-control', 'no-store')
        .send(pdf);
    },
  );

  app.post<Params>(
    '/campaigns/:id/test-fax',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      const faxNumber = field(request.body, 'faxNumber').trim();
      const targetId = field(request.body, 'targetId');
      if (!/^\+[1-9][0-9]{7,14}$/.test(faxNumber)) {
        // The form again, as typed, with the problem beside the number.
        const problem = `"${faxNumber}" is not in E.164 form, e.g. +442079460123.`;
        return tools.send(
          reply,
          await faxPage(tools.context(request, reply), id, { faxNumber, targetId, problem }),
          400,
        );
      }
      await batches.requestTestFax(id, {
        faxNumber,
        targetId: targetId === '' ? null : numeric(targetId),
        staffId: staffOf(request).id,
      });
      const context = tools.context(request, reply);
      return tools.send(
        reply,
        page(
          context,
          'Test fax queued',
          html`<h1>Test fax queued</h1><p class="notice" role="status">A test fax to ${faxNumber} is on its way.</p>
        <p><a href="/console/campaigns/${id}/fax">Back to the fax page</a></p>`,
        ),
        202,
      );
    },
  );

  app.get<Params>(
    '/campaigns/:id/fax/confirm',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      const context = tools.context(request, reply);
      const { campaign, perTarget, whole } = await plan(id);
      const letterhead = letterheadWarning(config.letterhead, config.orgName);
      return tools.send(
        reply,
        page(
          context,
          'Send the batch?',
          html`<h1>Send the batch?</h1>
        <p id="fax-summary"><strong>${plural(whole.signatureCount, 'name')}</strong> of “${campaign.title}” ${whole.signatureCount === 1 ? 'goes' : 'go'} to ${plural(perTarget.length, 'target')}:
          ${plural(whole.pages, 'page')}, about ${formatSeconds(whole.estimatedSeconds)} on the line, costing about ${formatMoney(whole.estimatedCost)}.</p>
        <ul>${perTarget.map((row) => html`<li>${row.target.name} (${row.target.faxNumbers[0] ?? row.target.emails[0] ?? 'no fax number'}): ${plural(row.pages, 'page')}, ${formatMoney(row.estimatedCost)}</li>`)}</ul>
        ${letterhead && html`<p class="warning" role="alert" id="letterhead-warning">Before you send: ${letterhead} (whoever runs Pocket Protest does that).</p>`}
        <h2>Page 1, as ${perTarget.length === 1 ? 'the target receives it' : 'each target receives it'}</h2>
        ${perTarget.map((row) => {
          const src = `/console/campaigns/${id}/fax-preview/first-page.pdf?targetId=${row.target.id}`;
          return html`<figure class="fax-preview">
          <iframe class="fax-page" src="${src}#view=FitH&amp;toolbar=0&amp;navpanes=0" title="Page 1 of the fax to ${row.target.name}"></iframe>
          <figcaption>${row.target.name}: <a href="${src}">page 1 (PDF)</a></figcaption></figure>`;
        })}
        <form method="post" action="/console/campaigns/${id}/fax-batches">${csrfField(context)}
          <button type="submit">Send ${plural(whole.signatureCount, 'name')} now</button> <a href="/console/campaigns/${id}/fax">Cancel</a>
        </form>`,
        ),
      );
    },
  );

  app.post<Params>(
    '/campaigns/:id/fax-batches',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const batch = await batches.createBatch(idOf(request), {
        reason: 'manual',
        staffId: staffOf(request).id,
      });
      return reply.redirect(`/console/fax-batches/${batch.id}`, 303);
    },
  );

  function deliveryRows(
    batch: Awaited<ReturnType<typeof batches.get>>,
    context: ReturnType<ConsoleTools['context']>,
  ) {
    const canWrite = canDo(context, 'campaigner');
    return html`${batch.deliveries.map(
      (
        d,
      ) => html`<tr><td data-label="Target">${d.targetName}</td><td data-label="Part">${d.part} of ${d.parts}</td><td data-label="Pages">${d.pages}</td><td data-label="Channel">${d.channel === 'email' ? 'e-mail' : 'fax'}</td><td data-label="Fax number or e-mail">${d.address}</td>
        <td data-label="Status" class="status status-${d.status}" data-delivery-status="${d.id}">${statusLabel(d.status)}</td><td data-label="Attempts">${d.attempts}</td>
        <td data-label="Provider’s report" data-provider-report="${d.id}">${providerReport(d)}</td>
        <td data-label="Why it failed">${EXPLAINED.has(d.status) ? (d.lastError ?? 'unknown') : ''}</td>
        <td data-label="Document"><a href="/console/fax-batches/${batch.id}/document?targetId=${d.targetId}&amp;part=${d.part}">PDF</a>
        ${canWrite && d.status === 'failed' && actionButton(context, `/console/fax-deliveries/${d.id}/retry`, `Retry ${d.targetName}`, { fields: { batch: String(batch.id) } })}
        ${canWrite && d.status === 'blocked' && actionButton(context, `/console/fax-deliveries/${d.id}/retry`, `Fixed: send to ${d.targetName} now`, { fields: { batch: String(batch.id) } })}
        ${canWrite && d.status === 'uncertain' && actionButton(context, `/console/fax-deliveries/${d.id}/resend`, `Resend to ${d.address}`, { fields: { batch: String(batch.id) } })}</td></tr>`,
    )}`;
  }

  app.get<Params>('/fax-batches/:id', { onRequest: requireRole('viewer') }, async (request, reply) => {
    const batch = await batches.get(idOf(request));
    const context = tools.context(request, reply);
    return tools.send(
      reply,
      page(
        context,
        `Fax batch ${batch.id}`,
        html`<h1>Fax batch ${batch.id}</h1>
        <p><a href="/console/campaigns/${batch.campaignId}/fax">Back to the fax page</a> ·
          <a href="/console/fax-batches/${batch.id}/receipt">Delivery receipt</a></p>
        <div data-poll="/console/fax-batches/${batch.id}/live.json" data-every="1500">
        <p aria-live="polite">Status: <strong class="status" data-field="status">${statusLabel(batch.status)}</strong> ·
          ${plural(batch.signatureCount, 'name')} · ${plural(batch.pages, 'page')} · about ${formatMoney(batch.estimatedCost)} · made ${formatTime(batch.createdAt)}</p>
        <div class="table-wrap"><table class="cards"><thead><tr><th scope="col">Target</th><th scope="col">Part</th><th scope="col">Pages</th><th scope="col">Channel</th><th scope="col">Fax number or e-mail</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Provider’s report</th><th scope="col">Why it failed</th><th scope="col">Document</th></tr></thead>
        <tbody data-html="deliveries">${deliveryRows(batch, context)}</tbody></table></div></div>`,
      ),
    );
  });

  app.get<Params>(
    '/fax-batches/:id/live.json',
    { onRequest: requireRole('viewer') },
    async (request, reply) => {
      const batch = await batches.get(idOf(request));
      return {
        fields: { status: statusLabel(batch.status) },
        html: { deliveries: deliveryRows(batch, tools.context(request, reply)).text },
        done: FINISHED.has(batch.status) && batch.deliveries.every((d) => FINISHED.has(d.status)),
      };
    },
  );

  app.get<Params>(
    '/fax-batches/:id/document',
    { onRequest: requireRole('viewer') },
    async (request, reply) => {
      const query = request.query as { targetId?: string; part?: string };
      const { file, filename } = await batches.documentFile(
        idOf(request),
        numeric(query.targetId),
        // The API's bound: a batch never has more parts than that, and the column is a smallint.
        numeric(query.part ?? '1', 10_000),
      );
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(createReadStream(file));
    },
  );

  app.get<Params>(
    '/fax-batches/:id/receipt',
    { onRequest: requireRole('viewer') },
    async (request, reply) => {
      const receipt = await receipts.batchReceipt(idOf(request));
      const context = tools.context(request, reply);
      const when = (at: Date | null) => (at ? formatUtc(at) : '—');
      return tools.send(
        reply,
        page(
          context,
          `Delivery receipt, batch ${receipt.batchId}`,
          html`<article class="receipt">
          <h1>Delivery receipt — fax batch ${receipt.batchId}</h1>
          <p>${receipt.campaign.keyword}: ${receipt.campaign.title} · ${receipt.signatureCount} names ·
            made ${when(receipt.createdAt)} · status ${statusLabel(receipt.status)}</p>
          ${receipt.sentence ? html`<p><strong>Received by ${receipt.sentence}.</strong></p>` : html`<p>Not every target has received this batch yet.</p>`}
          <p class="no-print"><a href="/console/fax-batches/${receipt.batchId}/receipt.pdf" download>Download the receipt (PDF)</a> ·
            <a href="/console/fax-batches/${receipt.batchId}">Back to the batch</a> · Times in UTC.</p>
          ${receipt.deliveries.map(
            (
              d,
            ) => html`<section><h2>${d.targetName} — part ${d.part} of ${d.parts}, ${d.channel === 'fax' ? 'fax' : 'e-mail'}</h2>
            <dl class="facts">
              <dt>Status</dt><dd>${statusLabel(d.status)}</dd>
              <dt>Provider</dt><dd>${d.provider ?? '—'}</dd>
              <dt>Provider’s id</dt><dd>${d.providerFaxId ?? '—'}</dd>
              <dt>${d.channel === 'fax' ? 'Number dialled' : 'Address'}</dt><dd>${d.address}</dd>
              <dt>Started</dt><dd>${when(d.startedAt)}</dd>
              <dt>Ended</dt><dd>${when(d.endedAt)}</dd>
              <dt>Pages</dt><dd>${d.pagesSent === null ? `${d.pages}` : `${d.pagesSent} of ${d.pages} sent`}</dd>
              <dt>Call duration</dt><dd>${d.durationSeconds === null ? 'not reported by the provider' : formatSeconds(d.durationSeconds)}</dd>
              <dt>Remote machine</dt><dd>${d.remoteId ?? 'not reported by the provider'}</dd>
              ${d.serverReply === null ? null : html`<dt>Mail server reply</dt><dd>${d.serverReply}</dd>`}
              <dt>SHA-256 of the PDF</dt><dd><code>${d.documentSha256 ?? '—'}</code></dd>
            </dl></section>`,
          )}
          </article>`,
        ),
      );
    },
  );

  app.get<Params>(
    '/fax-batches/:id/receipt.pdf',
    { onRequest: requireRole('viewer') },
    async (request, reply) => {
      const id = idOf(request);
      const pdf = await receipts.receiptPdf(id);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="receipt-batch-${id}.pdf"`)
        .header('cache-control', 'no-store')
        .send(pdf);
    },
  );

  for (const action of ['retry', 'resend'] as const) {
    app.post<Params>(
      `/fax-deliveries/:id/${action}`,
      { onRequest: requireRole('campaigner') },
      async (request, reply) => {
        // Read before acting, so that a form without its batch changes nothing.
        const batchId = numeric(field(request.body, 'batch'));
        await deliveries[action](idOf(request), staffOf(request).id);
        return reply.redirect(`/console/fax-batches/${batchId}`, 303);
      },
    );
  }
}
