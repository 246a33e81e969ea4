/** A campaign's pages: the list of campaigns, one campaign with its signatures, and the close step. */
import { html, type SafeHtml } from '../../html.js';
import { HOLD_REASONS } from '../../supporters/names.js';
import { CHANNELS, type Channel, LANGUAGES, type Language } from './campaign-form.js';
import { actionButton, csrfField, dataTable, formatTime, type PageContext, plural } from './layout.js';

/** A campaign as its page shows it: the letter and the targets as they will be sent, and its counts. */
export interface CampaignShown {
  id: number;
  keyword: string;
  title: string;
  status: string;
  reference: string | null;
  shortTitle: string | null;
  closesAt: Date | string | null;
  public: boolean;
  letter: {
    subject: string | null;
    body: string;
    translation: { language: Language; subject?: string; body: string } | null;
  };
  contact: { name?: string; email?: string; phone?: string } | null;
  targets: ReadonlyArray<{
    name: string;
    title: string | null;
    organisation: string | null;
    address: string | null;
    salutation: string;
    faxNumbers: readonly string[];
    emails: readonly string[];
    channel: Channel;
    language: Language;
    timezone: string;
  }>;
  signatureCount: number;
  heldCount: number;
  pendingFaxCount: number;
  lateCount: number;
  hiddenCount: number;
}

/** A line of the campaigns list. */
export interface CampaignLine {
  id: number;
  title: string;
  keyword: string;
  status: string;
  isDemo: boolean;
  signatureCount: number;
  heldCount: number;
  closesAt: Date | string | null;
}

/** A signature as the campaign page lists it. */
export interface SignatureLine {
  id: number;
  name: string;
  status: string;
  holdReason: string | null;
  signedAt: Date | string;
  batchId: number | null;
}

/** What the list of signatures shows: a part of a name, a status, a page. */
export interface ListQuery {
  q: string;
  /** One of the signatures' statuses, or '' for any. */
  status: string;
  page: number;
}

/** The query string of a list: only what differs from the defaults. */
export function queryOf(list: ListQuery): string {
  const query = new URLSearchParams();
  if (list.q) query.set('q', list.q);
  if (list.status) query.set('status', list.status);
  if (list.page > 1) query.set('page', String(list.page));
  return query.toString();
}

export function reasonText(reason: string | null): string {
  if (reason === null) return '';
  return Object.hasOwn(HOLD_REASONS, reason) ? HOLD_REASONS[reason as keyof typeof HOLD_REASONS] : reason;
}

export function campaignsListView(campaigns: readonly CampaignLine[], canCreate: boolean): SafeHtml {
  const rows = campaigns.map(
    (c) => html`<tr>
        <td data-label="Title"><a href="/console/campaigns/${c.id}">${c.title}</a></td><td
          data-label="Keyword">${c.keyword}</td>
        <td data-label="Status"><span class="status status-${c.status}">${c.status}</span>${
          c.isDemo && ' (demo)'
        }</td>
        <td data-label="Signatures" data-field="count-${c.id}">${c.signatureCount}</td><td
          data-label="Held" data-field="held-${c.id}">${c.heldCount}</td>
        <td data-label="Deadline">${formatTime(c.closesAt)}</td></tr>`,
  );
  const columns = ['Title', 'Keyword', 'Status', 'Signatures', 'Held', 'Deadline'];
  const none = html`<tr><td colspan="6">No campaigns yet.</td></tr>`;
  return html`<h1>Campaigns</h1>
        ${canCreate && html`<p><a class="button" href="/console/campaigns/new">New campaign</a></p>`}
        <div class="table-wrap" data-poll="/console/campaigns/counts.json" data-every="3000">
        <table class="cards"><caption class="hint">Counts update by themselves.</caption>
        <thead><tr>${columns.map((column) => html`<th scope="col">${column}</th>`)}</tr></thead>
        <tbody>${rows.length ? rows : none}</tbody></table></div>`;
}

/** The held names, live: reasons in words, and each row's release and hide. */
export function heldTableView(
  context: PageContext,
  held: readonly SignatureLine[],
  canModerate: boolean,
): SafeHtml {
  if (held.length === 0) return html`<p>No names are waiting for review.</p>`;
  const fields = { from: 'held' };
  return dataTable(
    ['Name', 'Why held', 'Signed', 'Actions'],
    held.map((s) => ({
      id: `held-${s.id}`,
      cells: [
        s.name || '(no name)',
        reasonText(s.holdReason),
        formatTime(s.signedAt),
        canModerate &&
          html`${actionButton(context, `/console/signatures/${s.id}/release`, `Release ${s.name}`, {
            fields,
          })} ${actionButton(context, `/console/signatures/${s.id}/hide`, `Hide ${s.name}`, {
            danger: true,
            fields,
          })}`,
      ],
    })),
    '',
  );
}

/** The letter and each target as the fax (or e-mail) will carry them: numbers in the form dialled. */
function asSent(campaign: CampaignShown): SafeHtml {
  const { letter, contact } = campaign;
  const translation = letter.translation;
  const targets = campaign.targets.map(
    (target, i) => html`<section class="card" aria-labelledby="target-sent-${i}">
      <h3 id="target-sent-${i}">${target.name}</h3>
      <dl>
        ${target.title && html`<dt>Title</dt><dd>${target.title}</dd>`}
        ${target.organisation && html`<dt>Organisation</dt><dd>${target.organisation}</dd>`}
        ${target.address && html`<dt>Address</dt><dd class="pre">${target.address}</dd>`}
        <dt>Salutation</dt><dd>${target.salutation}</dd>
        <dt>Fax numbers</dt><dd>${target.faxNumbers.length ? target.faxNumbers.join(', ') : 'none'}</dd>
        <dt>E-mail</dt><dd>${target.emails.length ? target.emails.join(', ') : 'none'}</dd>
        <dt>Send by</dt><dd>${CHANNELS[target.channel]}</dd>
        <dt>Letter in</dt><dd>${LANGUAGES[target.language]}${
          translation?.language === target.language && ' (the translation first, then the original)'
        }</dd>
        <dt>Office hours in</dt><dd>${target.timezone}</dd>
      </dl></section>`,
  );
  const contactText = contact
    ? [contact.name, contact.email, contact.phone].filter(Boolean).join(', ')
    : 'none (the organisation’s only)';
  return html`<h2 id="letter">The letter</h2>
    ${
      campaign.shortTitle &&
      html`<p>Short title (the fax’s running header): <strong>${campaign.shortTitle}</strong></p>`
    }
    ${letter.subject && html`<p>Subject: <strong>${letter.subject}</strong></p>`}
    <div class="letter">${letter.body}</div>
    ${
      translation &&
      html`<h3>Translation (${LANGUAGES[translation.language]})</h3>
    ${translation.subject && html`<p>Subject: <strong>${translation.subject}</strong></p>`}
    <div class="letter" lang="${translation.language}">${translation.body}</div>`
    }
    <p>Contact on the letter page: ${contactText}</p>
    <h2 id="targets">The targets</h2>
    <div class="targets-sent">${targets}</div>`;
}

/** For staff's own pages: the action's JSON, its count badge and a snippet to paste. */
function embedSection(keyword: string, publicBaseUrl: string): SafeHtml {
  const page = `${publicBaseUrl.replace(/\/$/, '')}/act/${encodeURIComponent(keyword)}`;
  const snippet = `<a href="${page}"><img src="${page}/badge.svg" alt="${keyword}: names signed"></a>`;
  return html`<section class="embed" aria-labelledby="embed">
    <h2 id="embed">Embed this action</h2>
    <p>For your own web pages: the public page <a href="${page}">${page}</a> also answers as data,
      and draws its count as a badge.</p>
    <dl class="facts">
      <dt>JSON</dt><dd><a href="${page}.json"><code>${page}.json</code></a></dd>
      <dt>Count badge (SVG)</dt><dd><a href="${page}/badge.svg"><code>${page}/badge.svg</code></a></dd>
    </dl>
    <label for="embed-snippet">HTML to paste</label>
    <textarea id="embed-snippet" readonly rows="3">${snippet}</textarea>
  </section>`;
}

/** The counts the campaign page shows and its live JSON updates. */
export function countsOf(campaign: CampaignShown) {
  return {
    signatureCount: campaign.signatureCount,
    heldCount: campaign.heldCount,
    pendingFaxCount: campaign.pendingFaxCount,
    lateCount: campaign.lateCount,
    hiddenCount: campaign.hiddenCount,
  };
}

/** One page of the campaign's signatures, as searched. */
export interface SignatureList {
  wanted: ListQuery;
  items: readonly SignatureLine[];
  total: number;
  perPage: number;
  /** The statuses to filter by, and the longest search taken. */
  statuses: readonly string[];
  maxSearch: number;
}

export interface CampaignPageData {
  context: PageContext;
  campaign: CampaignShown;
  canWrite: boolean;
  chart: SafeHtml;
  held: SafeHtml;
  list: SignatureList;
  publicBaseUrl: string;
}

/** A signature's status, and why it is held or that it has gone out. */
function statusCell(s: SignatureLine): SafeHtml {
  return html`<span class="status status-${s.status}">${s.status}</span>${
    s.status === 'held' && html` <span class="hint">(${reasonText(s.holdReason)})</span>`
  }${s.batchId !== null && html` <span class="hint">(faxed)</span>`}`;
}

/** Hold, release and hide, as far as the signature's status allows; none once it has gone out. */
function moderationCell(context: PageContext, s: SignatureLine, back: string): SafeHtml | null {
  if (s.batchId !== null) return null;
  const fields = { back, from: 'list' };
  const url = (action: string) => `/console/signatures/${s.id}/${action}`;
  const canRelease = (s.status === 'held' || s.status === 'hidden') && s.name !== '';
  const canHide = s.status === 'valid' || s.status === 'held';
  const hold =
    s.status === 'valid' && actionButton(context, url('hold'), `Hold ${s.name}`, { secondary: true, fields });
  const release =
    canRelease && actionButton(context, url('release'), `Release ${s.name}`, { secondary: true, fields });
  const hide = canHide && actionButton(context, url('hide'), `Hide ${s.name}`, { danger: true, fields });
  return html`${hold}
            ${release}
            ${hide}`;
}

/** "1–100 of 250 signatures", "3 signatures match", or that there are none. */
function summaryText(list: SignatureList, filtered: boolean): string {
  const { wanted, total, perPage } = list;
  if (total === 0) return filtered ? 'No signatures match.' : 'No signatures yet.';
  const first = (wanted.page - 1) * perPage + 1;
  const last = Math.min(total, wanted.page * perPage);
  if (first === 1 && last === total) {
    return filtered
      ? plural(total, 'signature matches', 'signatures match')
      : plural(total, 'signature', 'signatures');
  }
  const of = filtered
    ? plural(total, 'signature matching', 'signatures matching')
    : plural(total, 'signature', 'signatures');
  return `${first.toLocaleString('en-GB')}–${last.toLocaleString('en-GB')} of ${of}`;
}

/** The search form, the summary, the bulk change, the list and its pages. */
function signaturesSection(data: CampaignPageData): SafeHtml {
  const { context, campaign, canWrite, list } = data;
  const { wanted } = list;
  const id = campaign.id;
  const back = queryOf(wanted);
  const filtered = wanted.q !== '' || wanted.status !== '';
  const pages = Math.max(1, Math.ceil(list.total / list.perPage));
  const link = (change: Partial<ListQuery>) =>
    `/console/campaigns/${id}?${queryOf({ ...wanted, ...change })}#signatures`;
  const listTable = dataTable(
    ['Name', 'Status', 'Signed', 'Actions'],
    list.items.map((s) => ({
      id: `sig-${s.id}`,
      cells: [
        s.name || '(no name)',
        statusCell(s),
        formatTime(s.signedAt),
        canWrite && moderationCell(context, s, back),
      ],
    })),
    filtered ? 'No signatures match.' : 'No signatures yet.',
  );
  const statusOptions = list.statuses.map(
    (status) =>
      html`<option value="${status}" ${wanted.status === status ? html`selected` : null}>${status}</option>`,
  );
  const csv = `/console/campaigns/${id}/signatures.csv${wanted.status ? `?status=${wanted.status}` : ''}`;
  const names = wanted.status ? `the ${wanted.status} names` : 'all names';
  return html`<h2 id="signatures">All signatures</h2>
    <form method="get" action="/console/campaigns/${id}" class="search" role="search">
      <div><label for="q">Name contains</label>
      <input type="search" id="q" name="q" value="${wanted.q}" maxlength="${list.maxSearch}"></div>
      <div><label for="status">Status</label>
      <select id="status" name="status"><option value="">Any</option>${statusOptions}</select></div>
      <div><button type="submit">Search</button> ${
        filtered && html`<a href="/console/campaigns/${id}#signatures">Clear</a>`
      }</div>
    </form>
    <p id="list-summary" role="status">${summaryText(list, filtered)}
      · <a href="${csv}" download>Download ${names} as CSV</a></p>
    ${canWrite && filtered && list.total > 0 && bulkForm(context, id, wanted)}
    ${listTable}
    ${pages > 1 && pagesNav(wanted.page, pages, link)}`;
}

/** Release or hide every name a search finds, on all its pages. */
function bulkForm(context: PageContext, id: number, wanted: ListQuery): SafeHtml {
  return html`<form method="post" action="/console/campaigns/${id}/signatures/bulk" class="bulk">${csrfField(
    context,
  )}
      <input type="hidden" name="q" value="${wanted.q}"><input type="hidden" name="status"
        value="${wanted.status}">
      <p class="hint">For every name this search finds (all its pages) that has not gone out in a fax:</p>
      <button type="submit" name="action" value="release" class="secondary">Release the held and hidden
        ones</button>
      <button type="submit" name="action" value="hide" class="danger">Hide them all</button>
    </form>`;
}

function pagesNav(current: number, pages: number, link: (change: Partial<ListQuery>) => string): SafeHtml {
  const earlier = html`<a href="${link({ page: current - 1 })}" rel="prev">Earlier signatures</a>`;
  const later = html`<a href="${link({ page: current + 1 })}" rel="next">Later signatures</a>`;
  return html`<nav class="pages" aria-label="Pages of signatures">
      ${current > 1 ? earlier : null}
      <span>Page ${current} of ${pages}</span>
      ${current < pages ? later : null}
    </nav>`;
}

export function campaignView(data: CampaignPageData): SafeHtml {
  const { context, campaign, canWrite } = data;
  const id = campaign.id;
  const counts = countsOf(campaign);
  const stat = (key: keyof typeof counts, label: string) =>
    html`<div class="stat"><strong data-field="${key}">${counts[key]}</strong>${label}</div>`;
  return html`<h1>${campaign.title}</h1>
        <p>Keyword <strong>${campaign.keyword}</strong> · <span
          class="status status-${campaign.status}">${campaign.status}</span>
          ${campaign.reference && html` · ${campaign.reference}`} · deadline ${formatTime(
            campaign.closesAt,
          )}</p>
        <p>
          ${canWrite && html`<a class="button secondary" href="/console/campaigns/${id}/edit">Edit</a>`}
          <a class="button secondary" href="/console/campaigns/${id}/fax">Fax</a>
          <a class="button secondary" href="/console/campaigns/${id}/updates">Updates</a>
          ${
            canWrite &&
            campaign.status === 'draft' &&
            actionButton(context, `/console/campaigns/${id}/open`, 'Open the campaign')
          }
          ${
            canWrite &&
            campaign.status === 'open' &&
            html`<a class="button danger" href="/console/campaigns/${id}/close">Close the campaign…</a>`
          }
        </p>
        <p class="hint">On this page: <a href="#signatures">signatures</a> · <a href="#letter">the letter</a>
          · <a href="#targets">the targets</a>${
            campaign.public && html` · <a href="#embed">embed this action</a>`
          }</p>
        <div data-poll="/console/campaigns/${id}/live.json" data-every="2000">
          <h2>Signatures</h2>
          <div class="stats" aria-live="polite">
            ${stat('signatureCount', 'signatures')}
            ${stat('heldCount', 'held for review')}
            ${stat('pendingFaxCount', 'waiting for the fax')}
            ${stat('lateCount', 'late')}
            ${stat('hiddenCount', 'hidden')}
          </div>
          <div class="chart" data-html="chart">${data.chart}</div>
          <h2 id="held">Held for review</h2>
          <div data-html="held">${data.held}</div>
        </div>
        ${signaturesSection(data)}
        ${asSent(campaign)}
        ${campaign.public && embedSection(campaign.keyword, data.publicBaseUrl)}`;
}

/** Closing cannot be undone and sends the last fax: the page says so and asks first. */
export function closeView(context: PageContext, campaign: CampaignShown): SafeHtml {
  const id = campaign.id;
  const waiting = campaign.pendingFaxCount;
  if (campaign.status !== 'open') {
    return html`<h1>Close ${campaign.title}?</h1>
        <p>This campaign is ${campaign.status}; only an open campaign can be closed.</p><p><a
          href="/console/campaigns/${id}">Back to the campaign</a></p>`;
  }
  const lastBatch =
    waiting === 0
      ? 'sends no last fax: no names are waiting'
      : html`sends the last batch at once: <strong>${plural(waiting, 'name')}</strong> waiting go to ${plural(
          campaign.targets.length,
          'target',
        )} by fax (or e-mail)`;
  return html`<h1>Close ${campaign.title}?</h1>
        <div class="confirm" id="close-summary">
          <p>Closing the campaign:</p>
          <ul>
            <li>${lastBatch};</li>
            <li>answers texts that arrive afterwards with “the action has closed”: those late replies are kept
              but their names never go on a fax;</li>
            <li>cannot be undone: a closed campaign is never reopened, and its keyword becomes free for
              another.</li>
          </ul>
          <form method="post" action="/console/campaigns/${id}/close">${csrfField(context)}
            <input type="hidden" name="confirm" value="yes">
            <button type="submit" class="danger">Close the campaign now</button>&nbsp;
            <a href="/console/campaigns/${id}">Keep it open</a>
          </form></div>`;
}
