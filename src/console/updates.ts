import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Audience, parseAudience } from '../broadcasts/audience.js';
import {
  type ComposedBroadcast,
  composeBroadcast,
  describeCharacter,
  MAX_BROADCAST_LENGTH,
  MAX_BROADCAST_SEGMENTS,
} from '../broadcasts/compose.js';
import { type BroadcastInput, RECEIPT_PLACEHOLDER } from '../broadcasts/service.js';
import { AppError } from '../errors.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { fromLocalInput, toLocalInput } from '../time.js';
import { type ConsoleTools, field, idOf } from './forms.js';
import { html, type SafeHtml } from '../html.js';
import {
  actionButton,
  canDo,
  csrfField,
  displayTimeZone,
  formatTime,
  type PageContext,
  page,
} from './layout.js';

type Params = { Params: { id: string } };

const AUDIENCES: Array<{ value: Audience; label: string; short: string }> = [
  { value: 'signers', label: 'Signers of this campaign (an update)', short: 'signers of this campaign' },
  {
    value: 'non-signers',
    label: 'Members who have not signed (a reminder)',
    short: 'members who have not signed',
  },
  { value: 'network', label: 'The whole network (an action alert)', short: 'the whole network' },
];
const audienceLabel = (audience: string) =>
  AUDIENCES.find((a) => a.value === audience)?.short ??
  audience.replace(/^batch:(\d+)$/, 'the signers on fax batch $1');
const FINISHED = new Set(['done', 'cancelled']);

/** "1 person", "2 people", with thousands separated. */
export function people(n: number): string {
  return n === 1 ? '1 person' : `${n.toLocaleString('en-GB')} people`;
}

export function segmentsText(n: number): string {
  return n === 1 ? '1 segment' : `${n} segments`;
}

/** A cost in the configured currency: "£12.40", "€0.05", "USD 3.00" where the locale has no sign. */
export function money(value: number, currency: string): string {
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(value);
}

/** What staff typed as a number of people: digits, with commas, dots or spaces between thousands. */
export function typedNumber(text: string): number | undefined {
  const digits = text.trim().replace(/[\s,.\u00A0]/g, '');
  return /^\d{1,9}$/.test(digits) ? Number(digits) : undefined;
}

interface Draft {
  body: string;
  audience: string;
  smartEncoding: boolean;
}

function draftOf(form: unknown): Draft {
  return {
    body: field(form, 'body'),
    audience: field(form, 'audience'),
    // The form sends "off" from a hidden field and "on" from the checkbox after it when ticked.
    smartEncoding: field(form, 'smartEncoding') !== 'off',
  };
}

function draftFields(draft: Draft): SafeHtml {
  return html`<input type="hidden" name="body" value="${draft.body}">
    <input type="hidden" name="audience" value="${draft.audience}">
    <input type="hidden" name="smartEncoding" value="${draft.smartEncoding ? 'on' : 'off'}">`;
}

/** What smart encoding changed, in words. */
function replacedText(composed: ComposedBroadcast): string {
  if (composed.replaced.length === 0) return '';
  const parts = composed.replaced.map(
    (r) => `${describeCharacter(r.from)} → ${describeCharacter(r.to)}${r.count > 1 ? ` (${r.count}×)` : ''}`,
  );
  return `Smart encoding replaced ${parts.join(', ')}.`;
}

function unicodeText(composed: ComposedBroadcast): string {
  if (composed.encoding !== 'UCS-2') return '';
  const shown = composed.unicode.slice(0, 8).map(describeCharacter).join(' ');
  return `UCS-2 (70 characters a segment) because of: ${shown}${composed.unicode.length > 8 ? ' …' : ''}`;
}

/** "quiet hours until 08:00: …" as the start of a sentence. */
const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

type Progress = Awaited<ReturnType<FastifyInstance['services']['broadcasts']['progress']>>;

/** What a cancelled broadcast sent and did not: "Cancelled after 3 of 32: …". */
export function cancelledText(p: Pick<Progress, 'sent' | 'total' | 'cancelled'>): string {
  const went = p.sent === 1 ? '1 text went out' : `${p.sent.toLocaleString('en-GB')} texts went out`;
  const notSent =
    p.cancelled === 1 ? '1 was not sent' : `${p.cancelled.toLocaleString('en-GB')} were not sent`;
  return `Cancelled after ${p.sent.toLocaleString('en-GB')} of ${p.total.toLocaleString('en-GB')}: ${went}, ${notSent}.`;
}

/**
 * The body as the preview will send it: `{receipt}` filled in with the chosen batch's sentence (else
 * the latest received batch's, which the form offers), so that the counter and the preview agree.
 */
export function expandForCounter(
  body: string,
  audience: string,
  batches: ReadonlyArray<{ batchId: number; sentence: string }>,
): string {
  if (!body.includes(RECEIPT_PLACEHOLDER)) return body;
  const chosen = batches.find((b) => `batch:${b.batchId}` === audience) ?? batches[0];
  return chosen ? body.replaceAll(RECEIPT_PLACEHOLDER, chosen.sentence) : body;
}

export function updatePages(app: FastifyInstance, tools: ConsoleTools) {
  const { broadcasts: service, campaigns, config } = app.services;

  function segmentFields(body: string, smartEncoding: boolean) {
    const composed = composeBroadcast(body, config.optOutHint, { smartEncoding });
    return {
      segments: composed.segments,
      segmentsWord: composed.segments === 1 ? 'segment' : 'segments',
      encoding: composed.encoding,
      characters: [...composed.text].length,
      replaced: replacedText(composed),
      unicode: unicodeText(composed),
      tooLong:
        composed.segments > MAX_BROADCAST_SEGMENTS
          ? `Too long: at most ${MAX_BROADCAST_SEGMENTS} segments are sent.`
          : '',
    };
  }

  async function composePage(context: PageContext, campaignId: number, draft: Draft, problem: string | null) {
    const campaign = await campaigns.get(campaignId);
    const sizes = await service.audienceSizes(campaignId);
    const batches = await service.receivedBatches(campaignId);
    const sent = await service.listForCampaign(campaignId, 50);
    const counter = segmentFields(expandForCounter(draft.body, draft.audience, batches), draft.smartEncoding);
    const canWrite = canDo(context, 'campaigner');
    return page(
      context,
      `Updates · ${campaign.title}`,
      html`<h1>Updates: ${campaign.title}</h1>
      <p><a href="/console/campaigns/${campaignId}">Back to the campaign</a></p>
      ${
        canWrite &&
        html`<h2>Compose</h2>
      <form method="post" action="/console/campaigns/${campaignId}/updates/preview">${csrfField(context)}
        <label for="body">Text</label>
        ${problem && html`<p class="error" role="alert" id="body-error">${problem}</p>`}
        <textarea id="body" name="body" rows="5" required maxlength="${MAX_BROADCAST_LENGTH}" data-segments="/console/campaigns/${campaignId}/segments.json"
          aria-describedby="segment-count opt-out-hint${problem ? ' body-error' : ''}">${draft.body}</textarea>
        <p class="hint" id="segment-count" aria-live="polite"><span data-field="segments">${counter.segments}</span> <span data-field="segmentsWord">${counter.segmentsWord}</span> per text,
          <span data-field="encoding">${counter.encoding}</span>, <span data-field="characters">${counter.characters}</span> characters with the opt-out hint.
          <span data-field="replaced">${counter.replaced}</span> <span data-field="unicode">${counter.unicode}</span>
          <span class="error" data-field="tooLong">${counter.tooLong}</span></p>
        <p class="hint" id="opt-out-hint">Unless the text already says it, “${config.optOutHint}” is added on its own line.</p>
        <input type="hidden" name="smartEncoding" value="off">
        <label class="check"><input type="checkbox" name="smartEncoding" value="on" ${draft.smartEncoding ? html`checked` : null}>
          Smart encoding: curly quotes, dashes, ellipses and odd spaces become plain ones, keeping GSM-7 (160 characters a segment)</label>
        <fieldset><legend>Send to</legend>
          ${AUDIENCES.map(
            (
              a,
            ) => html`<label><input type="radio" name="audience" value="${a.value}" ${draft.audience === a.value ? html`checked` : null}>
              ${a.label}: <span>${people(sizes[a.value])}</span></label>`,
          )}
          ${batches.map(
            (
              b,
            ) => html`<label><input type="radio" name="audience" value="batch:${b.batchId}" ${draft.audience === `batch:${b.batchId}` ? html`checked` : null}>
              Signers whose names fax batch ${b.batchId} carried (received by ${b.sentence}): <span>${people(b.audienceSize)}</span></label>`,
          )}
        </fieldset>
        ${
          batches.length > 0 &&
          html`<p class="hint">To tell a batch’s signers where their names went, write <code>{receipt}</code> in the text: it becomes “${batches[0]?.sentence}”.</p>`
        }
        <p class="hint">Nothing is sent yet: the next page shows the text as it will arrive, the cost, and asks you to confirm.</p>
        <button type="submit">Preview and confirm…</button>
      </form>`
      }
      <h2>Sent</h2>
      ${
        sent.length
          ? html`<div class="table-wrap"><table class="cards"><thead><tr><th scope="col">Update</th><th scope="col">To</th><th scope="col">Status</th><th scope="col">People</th><th scope="col">Made</th></tr></thead>
      <tbody>${sent.map((b) => html`<tr><td data-label="Update"><a href="/console/broadcasts/${b.id}">Update ${b.id}</a></td><td data-label="To">${audienceLabel(b.audience)}</td><td data-label="Status" class="status status-${b.status}">${b.status}</td><td data-label="People">${b.total}</td><td data-label="Made">${formatTime(b.createdAt)}</td></tr>`)}</tbody></table></div>`
          : html`<p>Nothing sent yet.</p>`
      }`,
    );
  }

  /** The checks the form does before the service: an audience chosen, a text not too long. */
  function checkDraft(draft: Draft) {
    if (parseAudience(draft.audience) === null) {
      throw new AppError(400, 'invalid_audience', 'Choose who to send it to.');
    }
    if (draft.body.length > MAX_BROADCAST_LENGTH) {
      throw new AppError(
        400,
        'body_too_long',
        `The text may have at most ${MAX_BROADCAST_LENGTH} characters.`,
      );
    }
  }

  const inputOf = (draft: Draft): BroadcastInput => ({
    body: draft.body,
    audience: draft.audience,
    smartEncoding: draft.smartEncoding,
  });

  /**
   * The confirm step: the text exactly as it will arrive, to whom, the segments, encoding and cost;
   * above the threshold the audience size typed; a repeat within the hour ticked.
   */
  async function confirmPage(
    context: PageContext,
    campaignId: number,
    draft: Draft,
    problems: { confirm?: string; repeat?: string; general?: string } = {},
    typed = '',
  ) {
    const campaign = await campaigns.get(campaignId);
    const quote = await service.preview(campaignId, inputOf(draft));
    const action = `/console/campaigns/${campaignId}/updates`;
    const perText = money(config.sms.pricePerSegment * quote.segments, config.currency);
    return page(
      context,
      `Confirm the update · ${campaign.title}`,
      html`<h1>Confirm the update</h1>
      <p><a href="/console/campaigns/${campaignId}">${campaign.title}</a></p>
      ${problems.general && html`<p class="problem" role="alert">${problems.general}</p>`}
      <section class="confirm" aria-labelledby="confirm-summary">
        <p id="confirm-summary" class="confirm-summary">This text goes to <strong data-confirm="audience">${people(quote.audienceSize)}</strong>
          (${audienceLabel(draft.audience)}): <strong data-confirm="segments">${segmentsText(quote.segments)}</strong> each,
          <strong data-confirm="encoding">${quote.encoding}</strong>, costing about
          <strong data-confirm="cost">${money(quote.cost, config.currency)}</strong> in all (${perText} a text).</p>
        ${quote.replaced.length > 0 && html`<p class="hint">${replacedText(quote)}</p>`}
        ${quote.encoding === 'UCS-2' && html`<p class="hint">${unicodeText(quote)}${draft.smartEncoding ? '' : ' Smart encoding is off.'}</p>`}
        <h2>As it will arrive</h2>
        <div class="sms-preview" data-confirm="text">${quote.text}</div>
      </section>
      <form method="post" action="${action}">${csrfField(context)}${draftFields(draft)}
        ${
          quote.typedConfirmation
            ? html`<label for="confirm">Type the number of people it goes to (${quote.audienceSize.toLocaleString('en-GB')}) to confirm</label>
          ${problems.confirm && html`<p class="error" role="alert" id="confirm-error">${problems.confirm}</p>`}
          <input type="text" id="confirm" name="confirm" inputmode="numeric" autocomplete="off" required value="${typed}"
            aria-describedby="confirm-hint${problems.confirm ? ' confirm-error' : ''}">
          <p class="hint" id="confirm-hint">More than ${people(config.sms.confirmAbove)}: typing the number is the check that this is the audience you meant.</p>`
            : html`${problems.confirm && html`<p class="error" role="alert">${problems.confirm}</p>`}<input type="hidden" name="confirm" value="${quote.audienceSize}">`
        }
        ${
          quote.quietHours &&
          html`<p class="problem" id="quiet-hours">${sentence(quote.quietHours.message)}.</p>
          <label class="check"><input type="checkbox" name="ignoreQuietHours" value="yes" aria-describedby="quiet-hours">
            Send now anyway, ignoring quiet hours for this update (recorded in the audit log)</label>`
        }
        ${
          quote.repeatOf &&
          html`<p class="problem" id="repeat-warning">The same text went to the same people at ${formatTime(quote.repeatOf.createdAt)}
            (<a href="/console/broadcasts/${quote.repeatOf.id}">update ${quote.repeatOf.id}</a>).</p>
          ${problems.repeat && html`<p class="error" role="alert">${problems.repeat}</p>`}
          <label class="check"><input type="checkbox" name="confirmRepeat" value="yes" required aria-describedby="repeat-warning">
            Yes, send the same text to them again</label>`
        }
        <button type="submit">Send to ${people(quote.audienceSize)}</button>
        <button type="submit" class="secondary" formaction="${action}/edit" formnovalidate>Change the text</button>
      </form>`,
    );
  }

  app.get<Params>('/campaigns/:id/updates', { onRequest: requireRole('viewer') }, async (request, reply) =>
    tools.send(
      reply,
      await composePage(
        tools.context(request, reply),
        idOf(request),
        { body: '', audience: 'signers', smartEncoding: true },
        null,
      ),
    ),
  );

  app.get<Params>('/campaigns/:id/segments.json', { onRequest: requireRole('viewer') }, async (request) => {
    const query = request.query as { body?: string; smartEncoding?: string; audience?: string };
    const body = String(query.body ?? '').slice(0, 5_000);
    // The batches are read only when the text has {receipt} to fill in.
    const batches = body.includes(RECEIPT_PLACEHOLDER) ? await service.receivedBatches(idOf(request)) : [];
    return {
      fields: segmentFields(
        expandForCounter(body, String(query.audience ?? ''), batches),
        query.smartEncoding !== 'off',
      ),
    };
  });

  /** A 4xx the page can explain: shown on the page; anything else goes to the console's error page. */
  const explainable = (error: unknown): error is AppError =>
    error instanceof AppError && error.statusCode < 500 && error.statusCode !== 404;

  // Back to the form with the text as typed (the confirm page's "Change the text").
  app.post<Params>(
    '/campaigns/:id/updates/edit',
    { onRequest: requireRole('campaigner') },
    async (request, reply) =>
      tools.send(
        reply,
        await composePage(tools.context(request, reply), idOf(request), draftOf(request.body), null),
      ),
  );

  app.post<Params>(
    '/campaigns/:id/updates/preview',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      const draft = draftOf(request.body);
      try {
        checkDraft(draft);
        return tools.send(reply, await confirmPage(tools.context(request, reply), id, draft));
      } catch (error) {
        if (!explainable(error)) throw error;
        return tools.send(
          reply,
          await composePage(tools.context(request, reply), id, draft, error.message),
          error.statusCode,
        );
      }
    },
  );

  app.post<Params>(
    '/campaigns/:id/updates',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      const draft = draftOf(request.body);
      const typed = field(request.body, 'confirm');
      try {
        checkDraft(draft);
        const confirm = typedNumber(typed);
        if (confirm === undefined) {
          return tools.send(
            reply,
            await confirmPage(
              tools.context(request, reply),
              id,
              draft,
              { confirm: 'Type the number of people, in digits.' },
              typed,
            ),
            400,
          );
        }
        const created = await service.create(
          id,
          {
            ...inputOf(draft),
            confirm,
            confirmRepeat: field(request.body, 'confirmRepeat') === 'yes',
            ignoreQuietHours: field(request.body, 'ignoreQuietHours') === 'yes',
          },
          staffOf(request).id,
        );
        return reply.redirect(`/console/broadcasts/${created.id}`, 303);
      } catch (error) {
        if (!explainable(error)) throw error;
        const context = tools.context(request, reply);
        if (error.code === 'confirmation_required' || error.code === 'repeat_confirmation_required') {
          const problems =
            error.code === 'confirmation_required'
              ? { confirm: error.message.replace(/ by sending their number as "confirm"/, '') }
              : { repeat: 'Tick the box to send the same text again.' };
          return tools.send(reply, await confirmPage(context, id, draft, problems, typed), 409);
        }
        return tools.send(reply, await composePage(context, id, draft, error.message), error.statusCode);
      }
    },
  );

  const progressFields = (p: Awaited<ReturnType<typeof service.progress>>) => ({
    status: p.status,
    total: p.total,
    queued: p.queued,
    sent: p.sent,
    delivered: p.delivered,
    failed: p.failed,
    skippedOptedOut: p.skippedOptedOut,
    cancelled: p.cancelled,
    handled: p.sent + p.failed + p.skippedOptedOut + p.cancelled,
  });

  function failuresTable(p: Awaited<ReturnType<typeof service.progress>>): SafeHtml {
    if (p.failures.length === 0) return html`<p>No text has failed.</p>`;
    return html`<div class="table-wrap"><table class="cards"><thead><tr><th scope="col">Twilio error</th><th scope="col">What it means</th><th scope="col">Texts</th></tr></thead>
      <tbody>${p.failures.map(
        (f) =>
          html`<tr><td data-label="Twilio error">${f.errorCode === null ? '—' : html`<a href="https://www.twilio.com/docs/api/errors/${f.errorCode}" rel="noreferrer">${f.errorCode}</a>`}</td><td data-label="What it means">${f.meaning}</td><td data-label="Texts">${f.count}</td></tr>`,
      )}</tbody></table></div>`;
  }

  /** A waiting broadcast: why and until when, and (for campaigners) send it now or at another time. */
  function waitingSection(context: PageContext, progress: Progress, problem: string | null): SafeHtml | null {
    if (!progress.waiting || FINISHED.has(progress.status)) return null;
    const id = progress.id;
    const canWrite = canDo(context, 'campaigner');
    const suggested = toLocalInput(progress.sendAfter ?? progress.waiting.until, displayTimeZone());
    return html`<section class="waiting" aria-labelledby="waiting-heading">
      <h2 id="waiting-heading">Waiting</h2>
      <p id="waiting-reason">${sentence(progress.waiting.message)}.</p>
      ${problem && html`<p class="error" role="alert">${problem}</p>`}
      ${canWrite && actionButton(context, `/console/broadcasts/${id}/send-now`, 'Send now anyway')}
      ${
        canWrite &&
        !progress.started &&
        html`<form method="post" action="/console/broadcasts/${id}/reschedule">${csrfField(context)}
          <label for="sendAt">Send at (${displayTimeZone()} time)</label>
          <input type="datetime-local" id="sendAt" name="sendAt" required value="${suggested}">
          <button type="submit" class="secondary">Reschedule</button></form>`
      }
    </section>`;
  }

  async function broadcastPage(request: FastifyRequest<Params>, reply: FastifyReply, problem: string | null) {
    const progress = await service.progress(idOf(request));
    const context = tools.context(request, reply);
    const fields = progressFields(progress);
    const stat = (key: keyof typeof fields, label: string) =>
      html`<div class="stat"><strong data-field="${key}">${fields[key]}</strong>${label}</div>`;
    const cost = money(progress.total * progress.segments * config.sms.pricePerSegment, config.currency);
    return page(
      context,
      `Update ${progress.id}`,
      html`<h1>Update ${progress.id}</h1>
        <p><a href="/console/campaigns/${progress.campaignId}/updates">Back to the updates</a></p>
        ${waitingSection(context, progress, problem)}
        <div data-poll="/console/broadcasts/${progress.id}/live.json" data-every="1500">
          <p aria-live="polite">To ${audienceLabel(progress.audience)} (${people(progress.total)}) · made ${formatTime(progress.createdAt)} · status <strong class="status" data-field="status">${progress.status}</strong> ·
            ${segmentsText(progress.segments)} each, ${progress.encoding}, about ${cost}</p>
          <p><label for="progress" class="inline-label">Handled <span data-field="handled">${fields.handled}</span> of <span data-field="total">${fields.total}</span></label>
            <progress id="progress" max="${Math.max(fields.total, 1)}" value="${fields.handled}" data-value="handled"></progress></p>
          <div class="stats">${stat('sent', 'sent')}${stat('delivered', 'delivered')}${stat('skippedOptedOut', 'skipped (opted out)')}${stat('failed', 'failed')}${stat('queued', 'waiting')}${stat('cancelled', 'cancelled')}</div>
          ${progress.status === 'cancelled' && html`<p class="problem" id="cancelled">${cancelledText(progress)}</p>`}
          ${canDo(context, 'campaigner') && !FINISHED.has(progress.status) && html`<div data-html="cancel">${actionButton(context, `/console/broadcasts/${progress.id}/cancel`, 'Cancel the rest', { danger: true })}</div>`}
          <h2>Failures by Twilio error</h2>
          <div data-html="failures">${failuresTable(progress)}</div>
        </div>
        <h2>${progress.status === 'cancelled' && progress.sent === 0 ? 'The text (not sent)' : 'The text sent'}</h2>
        ${
          progress.body === null
            ? html`<p class="hint">The text has been removed by retention.</p>`
            : html`<div class="sms-preview" id="sent-text">${progress.body}</div>`
        }`,
    );
  }

  app.get<Params>('/broadcasts/:id', { onRequest: requireRole('viewer') }, async (request, reply) =>
    tools.send(reply, await broadcastPage(request, reply, null)),
  );

  app.post<Params>(
    '/broadcasts/:id/send-now',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      await service.sendNow(id, staffOf(request).id);
      return reply.redirect(`/console/broadcasts/${id}`, 303);
    },
  );

  app.post<Params>(
    '/broadcasts/:id/reschedule',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      const sendAt = fromLocalInput(field(request.body, 'sendAt'), displayTimeZone());
      try {
        if (!sendAt) throw new AppError(400, 'invalid_time', 'Choose a date and a time.');
        await service.reschedule(id, sendAt, staffOf(request).id);
        return reply.redirect(`/console/broadcasts/${id}`, 303);
      } catch (error) {
        if (!explainable(error)) throw error;
        return tools.send(reply, await broadcastPage(request, reply, error.message), error.statusCode);
      }
    },
  );

  app.get<Params>('/broadcasts/:id/live.json', { onRequest: requireRole('viewer') }, async (request) => {
    const progress = await service.progress(idOf(request));
    return {
      fields: progressFields(progress),
      // Once finished there is nothing left to cancel: the button goes.
      html: {
        failures: failuresTable(progress).text,
        ...(FINISHED.has(progress.status) ? { cancel: '' } : {}),
      },
      done: FINISHED.has(progress.status) && progress.queued === 0,
    };
  });

  app.post<Params>(
    '/broadcasts/:id/cancel',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      await service.cancel(id, staffOf(request).id);
      return reply.redirect(`/console/broadcasts/${id}`, 303);
    },
  );
}
