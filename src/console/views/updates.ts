/** A campaign's updates (broadcasts): compose, confirm, and one update's progress. */
import { type ComposedBroadcast, describeCharacter, MAX_BROADCAST_LENGTH } from '../../broadcasts/compose.js';
import { html, type SafeHtml } from '../../html.js';
import { actionButton, csrfField, formatTime, type PageContext } from './layout.js';

type Audience = 'signers' | 'non-signers' | 'network';

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

/** The statuses after which a broadcast sends nothing more. */
export const FINISHED = new Set(['done', 'cancelled']);

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

/** What smart encoding changed, in words. */
export function replacedText(composed: Pick<ComposedBroadcast, 'replaced'>): string {
  if (composed.replaced.length === 0) return '';
  const parts = composed.replaced.map(
    (r) => `${describeCharacter(r.from)} → ${describeCharacter(r.to)}${r.count > 1 ? ` (${r.count}×)` : ''}`,
  );
  return `Smart encoding replaced ${parts.join(', ')}.`;
}

export function unicodeText(composed: Pick<ComposedBroadcast, 'encoding' | 'unicode'>): string {
  if (composed.encoding !== 'UCS-2') return '';
  const shown = composed.unicode.slice(0, 8).map(describeCharacter).join(' ');
  return `UCS-2 (70 characters a segment) because of: ${shown}${composed.unicode.length > 8 ? ' …' : ''}`;
}

/** "quiet hours until 08:00: …" as the start of a sentence. */
const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** What a cancelled broadcast sent and did not: "Cancelled after 3 of 32: …". */
export function cancelledText(p: { sent: number; total: number; cancelled: number }): string {
  const went = p.sent === 1 ? '1 text went out' : `${p.sent.toLocaleString('en-GB')} texts went out`;
  const notSent =
    p.cancelled === 1 ? '1 was not sent' : `${p.cancelled.toLocaleString('en-GB')} were not sent`;
  const sent = p.sent.toLocaleString('en-GB');
  return `Cancelled after ${sent} of ${p.total.toLocaleString('en-GB')}: ${went}, ${notSent}.`;
}

/** The update as typed, carried from the compose form to the confirm step and back. */
export interface Draft {
  body: string;
  audience: string;
  smartEncoding: boolean;
}

/** The segment counter under the text, as the page's script updates it too. */
export interface SegmentFields {
  segments: number;
  segmentsWord: string;
  encoding: string;
  characters: number;
  replaced: string;
  unicode: string;
  tooLong: string;
}

/** A fax batch its targets have received, whose signers can be told so. */
export interface ReceivedBatch {
  batchId: number;
  sentence: string;
  audienceSize: number;
}

export interface ComposeData {
  context: PageContext;
  campaign: { id: number; title: string };
  canWrite: boolean;
  draft: Draft;
  problem: string | null;
  counter: SegmentFields;
  sizes: Record<Audience, number>;
  batches: readonly ReceivedBatch[];
  sent: ReadonlyArray<{ id: number; audience: string; status: string; total: number; createdAt: Date }>;
  optOutHint: string;
}

function draftFields(draft: Draft): SafeHtml {
  return html`<input type="hidden" name="body" value="${draft.body}">
    <input type="hidden" name="audience" value="${draft.audience}">
    <input type="hidden" name="smartEncoding" value="${draft.smartEncoding ? 'on' : 'off'}">`;
}

function composeForm(data: ComposeData): SafeHtml {
  const { context, draft, problem, counter, sizes, batches } = data;
  const campaignId = data.campaign.id;
  const checked = (audience: string) => (draft.audience === audience ? html`checked` : null);
  const audiences = AUDIENCES.map(
    (a) => html`<label><input type="radio" name="audience" value="${a.value}" ${checked(a.value)}>
              ${a.label}: <span>${people(sizes[a.value])}</span></label>`,
  );
  const batchAudiences = batches.map(
    (b) => html`<label><input type="radio" name="audience" value="batch:${b.batchId}" ${checked(
      `batch:${b.batchId}`,
    )}>
              Signers whose names fax batch ${b.batchId} carried (received by ${b.sentence}): <span>${people(
                b.audienceSize,
              )}</span></label>`,
  );
  return html`<h2>Compose</h2>
      <form method="post" action="/console/campaigns/${campaignId}/updates/preview">${csrfField(context)}
        <label for="body">Text</label>
        ${problem && html`<p class="error" role="alert" id="body-error">${problem}</p>`}
        <textarea id="body" name="body" rows="5" required maxlength="${MAX_BROADCAST_LENGTH}"
          data-segments="/console/campaigns/${campaignId}/segments.json"
         aria-describedby="segment-count opt-out-hint${problem ? ' body-error' : ''}">${draft.body}</textarea>
  <p class="hint" id="segment-count" aria-live="polite"><span data-field="segments">${counter.segments}</span>
          <span data-field="segmentsWord">${counter.segmentsWord}</span> per text,
          <span data-field="encoding">${counter.encoding}</span>, <span
          data-field="characters">${counter.characters}</span> characters with the opt-out hint.
   <span data-field="replaced">${counter.replaced}</span> <span data-field="unicode">${counter.unicode}</span>
          <span class="error" data-field="tooLong">${counter.tooLong}</span></p>
       <p class="hint" id="opt-out-hint">Unless the text already says it, “${data.optOutHint}” is added on its
          own line.</p>
        <input type="hidden" name="smartEncoding" value="off">
        <label class="check"><input type="checkbox" name="smartEncoding" value="on" ${
          draft.smartEncoding ? html`checked` : null
        }>
          Smart encoding: curly quotes, dashes, ellipses and odd spaces become plain ones, keeping GSM-7
          (160 characters a segment)</label>
        <fieldset><legend>Send to</legend>
          ${audiences}
          ${batchAudiences}
        </fieldset>
        ${
          batches.length > 0 &&
          html`<p class="hint">To tell a batch’s signers where their names went, write <code>{receipt}</code>
            in
            the text: it becomes “${batches[0]?.sentence}”.</p>`
        }
       <p class="hint">Nothing is sent yet: the next page shows the text as it will arrive, the cost, and asks
          you to confirm.</p>
        <button type="submit">Preview and confirm…</button>
      </form>`;
}

export function composeView(data: ComposeData): SafeHtml {
  const { campaign, sent } = data;
  const columns = ['Update', 'To', 'Status', 'People', 'Made'];
  const rows = sent.map(
    (b) => html`<tr><td data-label="Update"><a href="/console/broadcasts/${b.id}">Update ${b.id}</a></td><td
      data-label="To">${audienceLabel(b.audience)}</td><td data-label="Status"
      class="status status-${b.status}">${b.status}</td><td data-label="People">${b.total}</td><td
      data-label="Made">${formatTime(b.createdAt)}</td></tr>`,
  );
  return html`<h1>Updates: ${campaign.title}</h1>
      <p><a href="/console/campaigns/${campaign.id}">Back to the campaign</a></p>
      ${data.canWrite && composeForm(data)}
      <h2>Sent</h2>
      ${
        sent.length
          ? html`<div class="table-wrap"><table class="cards"><thead><tr>${columns.map(
              (column) => html`<th scope="col">${column}</th>`,
            )}</tr></thead>
      <tbody>${rows}</tbody></table></div>`
          : html`<p>Nothing sent yet.</p>`
      }`;
}

/** What the update would be if sent now, as the service quotes it. */
export interface Quote extends ComposedBroadcast {
  audienceSize: number;
  cost: number;
  typedConfirmation: boolean;
  quietHours: { message: string } | null;
  repeatOf: { id: number; createdAt: Date } | null | undefined | false;
}

/** Problems of the confirm step: the number typed, the repeat not ticked, or anything else. */
export interface ConfirmProblems {
  confirm?: string;
  repeat?: string;
  general?: string;
}

export interface ConfirmData {
  context: PageContext;
  campaign: { id: number; title: string };
  draft: Draft;
  quote: Quote;
  problems: ConfirmProblems;
  typed: string;
  currency: string;
  pricePerSegment: number;
  /** Above this many people, the number is typed. */
  confirmAbove: number;
}

function confirmField(data: ConfirmData): SafeHtml {
  const { quote, problems } = data;
  if (!quote.typedConfirmation) {
    return html`${
      problems.confirm && html`<p class="error" role="alert">${problems.confirm}</p>`
    }<input type="hidden" name="confirm" value="${quote.audienceSize}">`;
  }
  return html`<label for="confirm">Type the number of people it goes to (${quote.audienceSize.toLocaleString(
    'en-GB',
  )}) to confirm</label>
         ${problems.confirm && html`<p class="error" role="alert" id="confirm-error">${problems.confirm}</p>`}
          <input type="text" id="confirm" name="confirm" inputmode="numeric" autocomplete="off" required
            value="${data.typed}" aria-describedby="confirm-hint${problems.confirm ? ' confirm-error' : ''}">
          <p class="hint" id="confirm-hint">More than ${people(data.confirmAbove)}: typing the number is the
            check that this is the audience you meant.</p>`;
}

/**
 * The confirm step: the text exactly as it will arrive, to whom, the segments, encoding and cost;
 * above the threshold the audience size typed; a repeat within the hour ticked.
 */
export function confirmView(data: ConfirmData): SafeHtml {
  const { context, campaign, draft, quote, problems } = data;
  const action = `/console/campaigns/${campaign.id}/updates`;
  const perText = money(data.pricePerSegment * quote.segments, data.currency);
  const audience = html`<strong data-confirm="audience">${people(quote.audienceSize)}</strong>`;
  const smartOff = draft.smartEncoding ? '' : ' Smart encoding is off.';
  return html`<h1>Confirm the update</h1>
      <p><a href="/console/campaigns/${campaign.id}">${campaign.title}</a></p>
      ${problems.general && html`<p class="problem" role="alert">${problems.general}</p>`}
      <section class="confirm" aria-labelledby="confirm-summary">
        <p id="confirm-summary" class="confirm-summary">This text goes to ${audience}
  (${audienceLabel(draft.audience)}): <strong data-confirm="segments">${segmentsText(quote.segments)}</strong>
          each, <strong data-confirm="encoding">${quote.encoding}</strong>, costing about
      <strong data-confirm="cost">${money(quote.cost, data.currency)}</strong> in all (${perText} a text).</p>
        ${quote.replaced.length > 0 && html`<p class="hint">${replacedText(quote)}</p>`}
        ${quote.encoding === 'UCS-2' && html`<p class="hint">${unicodeText(quote)}${smartOff}</p>`}
        <h2>As it will arrive</h2>
        <div class="sms-preview" data-confirm="text">${quote.text}</div>
      </section>
      <form method="post" action="${action}">${csrfField(context)}${draftFields(draft)}
        ${confirmField(data)}
        ${
          quote.quietHours &&
          html`<p class="problem" id="quiet-hours">${sentence(quote.quietHours.message)}.</p>
          <label class="check"><input type="checkbox" name="ignoreQuietHours" value="yes"
            aria-describedby="quiet-hours">
            Send now anyway, ignoring quiet hours for this update (recorded in the audit log)</label>`
        }
        ${
          quote.repeatOf &&
          html`<p class="problem" id="repeat-warning">The same text went to the same people at ${formatTime(
            quote.repeatOf.createdAt,
          )}
            (<a href="/console/broadcasts/${quote.repeatOf.id}">update ${quote.repeatOf.id}</a>).</p>
          ${problems.repeat && html`<p class="error" role="alert">${problems.repeat}</p>`}
          <label class="check"><input type="checkbox" name="confirmRepeat" value="yes" required
            aria-describedby="repeat-warning">
            Yes, send the same text to them again</label>`
        }
        <button type="submit">Send to ${people(quote.audienceSize)}</button>
   <button type="submit" class="secondary" formaction="${action}/edit" formnovalidate>Change the text</button>
      </form>`;
}

/** One update's progress, as the service reports it. */
export interface BroadcastShown {
  id: number | string;
  campaignId: number | string;
  audience: string;
  status: string;
  waiting: { message: string; until: Date } | null;
  sendAfter: Date | null;
  started: boolean;
  total: number;
  queued: number;
  sent: number;
  delivered: number;
  failed: number;
  skippedOptedOut: number;
  cancelled: number;
  failures: ReadonlyArray<{ errorCode: number | null; meaning: string; count: number }>;
  segments: number;
  encoding: string;
  body: string | null;
  createdAt: Date;
}

/** The counts the page shows and its live JSON updates. */
export function progressFields(p: BroadcastShown) {
  return {
    status: p.status,
    total: p.total,
    queued: p.queued,
    sent: p.sent,
    delivered: p.delivered,
    failed: p.failed,
    skippedOptedOut: p.skippedOptedOut,
    cancelled: p.cancelled,
    handled: p.sent + p.failed + p.skippedOptedOut + p.cancelled,
  };
}

export function failuresTable(p: BroadcastShown): SafeHtml {
  if (p.failures.length === 0) return html`<p>No text has failed.</p>`;
  const rows = p.failures.map(
    (f) =>
      html`<tr><td data-label="Twilio error">${
        f.errorCode === null
          ? '—'
          : html`<a href="https://www.twilio.com/docs/api/errors/${f.errorCode}"
              rel="noreferrer">${f.errorCode}</a>`
      }</td><td data-label="What it means">${f.meaning}</td><td data-label="Texts">${f.count}</td></tr>`,
  );
  return html`<div class="table-wrap"><table class="cards"><thead><tr><th scope="col">Twilio error</th><th
      scope="col">What it means</th><th scope="col">Texts</th></tr></thead>
      <tbody>${rows}</tbody></table></div>`;
}

export interface BroadcastData {
  context: PageContext;
  progress: BroadcastShown;
  problem: string | null;
  canWrite: boolean;
  /** The organisation's clock, in which a new time is typed. */
  timeZone: string;
  /** The time the reschedule form suggests, as its field takes it. */
  suggested: string;
  cost: string;
}

/** A waiting broadcast: why and until when, and (for campaigners) send it now or at another time. */
function waitingSection(data: BroadcastData): SafeHtml | null {
  const { context, progress, problem, canWrite } = data;
  if (!progress.waiting || FINISHED.has(progress.status)) return null;
  const id = progress.id;
  return html`<section class="waiting" aria-labelledby="waiting-heading">
      <h2 id="waiting-heading">Waiting</h2>
      <p id="waiting-reason">${sentence(progress.waiting.message)}.</p>
      ${problem && html`<p class="error" role="alert">${problem}</p>`}
      ${canWrite && actionButton(context, `/console/broadcasts/${id}/send-now`, 'Send now anyway')}
      ${
        canWrite &&
        !progress.started &&
        html`<form method="post" action="/console/broadcasts/${id}/reschedule">${csrfField(context)}
          <label for="sendAt">Send at (${data.timeZone} time)</label>
          <input type="datetime-local" id="sendAt" name="sendAt" required value="${data.suggested}">
          <button type="submit" class="secondary">Reschedule</button></form>`
      }
    </section>`;
}

export function broadcastView(data: BroadcastData): SafeHtml {
  const { context, progress } = data;
  const fields = progressFields(progress);
  const stat = (key: keyof typeof fields, label: string) =>
    html`<div class="stat"><strong data-field="${key}">${fields[key]}</strong>${label}</div>`;
  const stats = [
    stat('sent', 'sent'),
    stat('delivered', 'delivered'),
    stat('skippedOptedOut', 'skipped (opted out)'),
    stat('failed', 'failed'),
    stat('queued', 'waiting'),
    stat('cancelled', 'cancelled'),
  ];
  const handledCount = html`<span data-field="handled">${fields.handled}</span>`;
  const handled = html`Handled ${handledCount} of <span data-field="total">${fields.total}</span>`;
  const cancel = actionButton(context, `/console/broadcasts/${progress.id}/cancel`, 'Cancel the rest', {
    danger: true,
  });
  return html`<h1>Update ${progress.id}</h1>
        <p><a href="/console/campaigns/${progress.campaignId}/updates">Back to the updates</a></p>
        ${waitingSection(data)}
        <div data-poll="/console/broadcasts/${progress.id}/live.json" data-every="1500">
          <p aria-live="polite">To ${audienceLabel(progress.audience)} (${people(progress.total)})
            · made ${formatTime(progress.createdAt)}
            · status <strong class="status" data-field="status">${progress.status}</strong> ·
            ${segmentsText(progress.segments)} each, ${progress.encoding}, about ${data.cost}</p>
          <p><label for="progress" class="inline-label">${handled}</label>
            <progress id="progress" max="${Math.max(fields.total, 1)}" value="${fields.handled}"
              data-value="handled"></progress></p>
          <div class="stats">${stats}</div>
  ${progress.status === 'cancelled' && html`<p class="problem" id="cancelled">${cancelledText(progress)}</p>`}
          ${data.canWrite && !FINISHED.has(progress.status) && html`<div data-html="cancel">${cancel}</div>`}
          <h2>Failures by Twilio error</h2>
          <div data-html="failures">${failuresTable(progress)}</div>
        </div>
  <h2>${progress.status === 'cancelled' && progress.sent === 0 ? 'The text (not sent)' : 'The text sent'}</h2>
        ${
          progress.body === null
            ? html`<p class="hint">The text has been removed by retention.</p>`
            : html`<div class="sms-preview" id="sent-text">${progress.body}</div>`
        }`;
}
