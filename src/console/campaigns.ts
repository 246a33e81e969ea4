import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CampaignDetail } from '../campaigns/service.js';
import { MAX_SEARCH, SIGNATURE_STATUSES, type SignatureStatus } from '../campaigns/signatures.js';
import {
  type CampaignChangeRequest,
  type CampaignRequest,
  checkCampaign,
  checkCampaignChange,
  readFaxNumbers,
} from '../campaigns/validation.js';
import { AppError } from '../errors.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { HOLD_REASONS } from '../supporters/names.js';
import {
  type CampaignValues,
  CHANNELS,
  campaignForm,
  formField,
  LANGUAGES,
  type Problems,
  problemsOf,
  requestOf,
  reshaped,
  valuesFromForm,
  valuesOf,
} from './campaign-form.js';
import { chartSvg } from './chart.js';
import { type ConsoleTools, field, idOf, setFlash, takeFlash } from './forms.js';
import { html, type SafeHtml } from '../html.js';
import {
  actionButton,
  canDo,
  csrfField,
  dataTable,
  formatTime,
  type PageContext,
  page,
  plural,
} from './layout.js';

type Params = { Params: { id: string } };

/** The letter and each target as the fax (or e-mail) will carry them: numbers in the form dialled. */
function asSent(campaign: CampaignDetail): SafeHtml {
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
        <dt>Letter in</dt><dd>${LANGUAGES[target.language]}${translation?.language === target.language && ' (the translation first, then the original)'}</dd>
        <dt>Office hours in</dt><dd>${target.timezone}</dd>
      </dl></section>`,
  );
  return html`<h2 id="letter">The letter</h2>
    ${campaign.shortTitle && html`<p>Short title (the fax’s running header): <strong>${campaign.shortTitle}</strong></p>`}
    ${letter.subject && html`<p>Subject: <strong>${letter.subject}</strong></p>`}
    <div class="letter">${letter.body}</div>
    ${
      translation &&
      html`<h3>Translation (${LANGUAGES[translation.language]})</h3>
    ${translation.subject && html`<p>Subject: <strong>${translation.subject}</strong></p>`}
    <div class="letter" lang="${translation.language}">${translation.body}</div>`
    }
    <p>Contact on the letter page: ${contact ? [contact.name, contact.email, contact.phone].filter(Boolean).join(', ') : 'none (the organisation’s only)'}</p>
    <h2 id="targets">The targets</h2>
    <div class="targets-sent">${targets}</div>`;
}

/** For staff's own pages: the action's JSON, its count badge and a snippet to paste. */
function embedSection(keyword: string, publicBaseUrl: string): SafeHtml {
  const page = `${publicBaseUrl.replace(/\/$/, '')}/act/${encodeURIComponent(keyword)}`;
  const snippet = `<a href="${page}"><img src="${page}/badge.svg" alt="${keyword}: names signed"></a>`;
  return html`<section class="embed" aria-labelledby="embed">
    <h2 id="embed">Embed this action</h2>
    <p>For your own web pages: the public page <a href="${page}">${page}</a> also answers as data, and draws its count as a badge.</p>
    <dl class="facts">
      <dt>JSON</dt><dd><a href="${page}.json"><code>${page}.json</code></a></dd>
      <dt>Count badge (SVG)</dt><dd><a href="${page}/badge.svg"><code>${page}/badge.svg</code></a></dd>
    </dl>
    <label for="embed-snippet">HTML to paste</label>
    <textarea id="embed-snippet" readonly rows="3">${snippet}</textarea>
  </section>`;
}

function countsFields(campaign: {
  signatureCount: number;
  heldCount: number;
  pendingFaxCount: number;
  lateCount: number;
  hiddenCount: number;
}) {
  return {
    signatureCount: campaign.signatureCount,
    heldCount: campaign.heldCount,
    pendingFaxCount: campaign.pendingFaxCount,
    lateCount: campaign.lateCount,
    hiddenCount: campaign.hiddenCount,
  };
}

export function campaignPages(app: FastifyInstance, tools: ConsoleTools) {
  const { campaigns, signatures, clock, config } = app.services;
  const validation = () => ({ now: clock(), joinKeywords: config.joinKeywords });

  /** The campaign form again, with what was typed and the problem shown next to its field. */
  function formAgain(
    request: FastifyRequest,
    reply: FastifyReply,
    error: unknown,
    title: string,
    action: string,
    values: CampaignValues,
  ) {
    if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
    const problems: Problems = new Map([[formField(error.field).name, [error.message]]]);
    return formWithProblems(request, reply, problems, title, action, values, error.statusCode);
  }

  function formWithProblems(
    request: FastifyRequest,
    reply: FastifyReply,
    problems: Problems,
    title: string,
    action: string,
    values: CampaignValues,
    status = 400,
  ) {
    const context = tools.context(request, reply);
    return tools.send(
      reply,
      page(context, title, html`<h1>${title}</h1>${campaignForm(context, action, values, problems)}`),
      status,
    );
  }

  app.get('/campaigns', { onRequest: requireRole('viewer') }, async (request, reply) => {
    const context = tools.context(request, reply);
    const { items } = await campaigns.list({ limit: 200 });
    const rows = items.map(
      (c) => html`<tr>
        <td data-label="Title"><a href="/console/campaigns/${c.id}">${c.title}</a></td><td data-label="Keyword">${c.keyword}</td>
        <td data-label="Status"><span class="status status-${c.status}">${c.status}</span>${c.isDemo && ' (demo)'}</td>
        <td data-label="Signatures" data-field="count-${c.id}">${c.signatureCount}</td><td data-label="Held" data-field="held-${c.id}">${c.heldCount}</td>
        <td data-label="Deadline">${formatTime(c.closesAt)}</td></tr>`,
    );
    return tools.send(
      reply,
      page(
        context,
        'Campaigns',
        html`<h1>Campaigns</h1>
        ${canDo(context, 'campaigner') && html`<p><a class="button" href="/console/campaigns/new">New campaign</a></p>`}
        <div class="table-wrap" data-poll="/console/campaigns/counts.json" data-every="3000">
        <table class="cards"><caption class="hint">Counts update by themselves.</caption>
        <thead><tr><th scope="col">Title</th><th scope="col">Keyword</th><th scope="col">Status</th><th scope="col">Signatures</th><th scope="col">Held</th><th scope="col">Deadline</th></tr></thead>
        <tbody>${rows.length ? rows : html`<tr><td colspan="6">No campaigns yet.</td></tr>`}</tbody></table></div>`,
      ),
    );
  });

  // The fax numbers the form's field would be read as, while staff type them.
  app.get('/fax-numbers.json', { onRequest: requireRole('campaigner') }, async (request) => {
    const text = String((request.query as { text?: unknown }).text ?? '').slice(0, 1_000);
    const readings = readFaxNumbers(text);
    return {
      understood: readings.flatMap((reading) => (reading.number ? [reading.number] : [])),
      unreadable: readings.flatMap((reading) => (reading.number ? [] : [reading.text])),
    };
  });

  app.get('/campaigns/counts.json', { onRequest: requireRole('viewer') }, async () => {
    const { items } = await campaigns.list({ limit: 200 });
    const fields: Record<string, number> = {};
    for (const c of items) {
      fields[`count-${c.id}`] = c.signatureCount;
      fields[`held-${c.id}`] = c.heldCount;
    }
    return { fields };
  });

  app.get('/campaigns/new', { onRequest: requireRole('campaigner') }, async (request, reply) => {
    const context = tools.context(request, reply);
    return tools.send(
      reply,
      page(
        context,
        'New campaign',
        html`<h1>New campaign</h1>${campaignForm(context, '/console/campaigns', valuesOf(null), new Map())}`,
      ),
    );
  });

  app.post('/campaigns', { onRequest: requireRole('campaigner') }, async (request, reply) => {
    const values = valuesFromForm(request.body);
    const again = reshaped(request.body, values);
    if (again)
      return formWithProblems(request, reply, new Map(), 'New campaign', '/console/campaigns', again, 200);
    const problems = problemsOf(values, validation(), null);
    if (problems.size > 0) {
      return formWithProblems(request, reply, problems, 'New campaign', '/console/campaigns', values);
    }
    try {
      const created = await campaigns.create(
        checkCampaign(requestOf(values).request, validation()),
        staffOf(request).id,
      );
      return reply.redirect(`/console/campaigns/${created.id}`, 303);
    } catch (error) {
      return formAgain(request, reply, error, 'New campaign', '/console/campaigns', values);
    }
  });

  app.get<Params>('/campaigns/:id/edit', { onRequest: requireRole('campaigner') }, async (request, reply) => {
    const campaign = await campaigns.get(idOf(request));
    const context = tools.context(request, reply);
    return tools.send(
      reply,
      page(
        context,
        `Edit ${campaign.title}`,
        html`<h1>Edit ${campaign.title}</h1>${campaignForm(context, `/console/campaigns/${campaign.id}`, valuesOf(campaign), new Map())}`,
      ),
    );
  });

  app.post<Params>('/campaigns/:id', { onRequest: requireRole('campaigner') }, async (request, reply) => {
    const id = idOf(request);
    const before = await campaigns.get(id);
    const values = valuesFromForm(request.body);
    // Only what changed is sent (and checked), so a campaign past its draft can still be edited where allowed.
    const changeOf = (request: CampaignRequest): CampaignChangeRequest => {
      const { keyword, targets, ...rest } = request;
      const old = requestOf(valuesOf(before)).request;
      return {
        ...rest,
        ...(keyword.trim().toUpperCase() === before.keyword ? {} : { keyword }),
        ...(JSON.stringify(targets) === JSON.stringify(old.targets) ? {} : { targets }),
        ...(rest.closesAt === old.closesAt ? { closesAt: undefined } : {}),
        // The form edits the thanks only; the other replies stay as they were.
        replies: { ...before.replies, thanks: values.thanks },
      };
    };
    const again = reshaped(request.body, values);
    if (again) {
      const title = `Edit ${before.title}`;
      return formWithProblems(request, reply, new Map(), title, `/console/campaigns/${id}`, again, 200);
    }
    const problems = problemsOf(values, validation(), changeOf);
    if (problems.size > 0) {
      return formWithProblems(
        request,
        reply,
        problems,
        `Edit ${before.title}`,
        `/console/campaigns/${id}`,
        values,
      );
    }
    try {
      const change = changeOf(requestOf(values).request);
      await campaigns.update(id, checkCampaignChange(change, validation()), staffOf(request).id);
      return reply.redirect(`/console/campaigns/${id}`, 303);
    } catch (error) {
      return formAgain(request, reply, error, `Edit ${before.title}`, `/console/campaigns/${id}`, values);
    }
  });

  app.post<Params>(
    '/campaigns/:id/open',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      await campaigns.open(id, staffOf(request).id);
      setFlash(request, 'The campaign is open: texts with its keyword now sign it.');
      return reply.redirect(`/console/campaigns/${id}`, 303);
    },
  );

  /** Closing cannot be undone and sends the last fax: the page says so and asks first. */
  app.get<Params>(
    '/campaigns/:id/close',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      const campaign = await campaigns.get(id);
      const context = tools.context(request, reply);
      const waiting = campaign.pendingFaxCount;
      return tools.send(
        reply,
        page(
          context,
          `Close ${campaign.title}?`,
          html`<h1>Close ${campaign.title}?</h1>
        ${
          campaign.status === 'open'
            ? html`<div class="confirm" id="close-summary">
          <p>Closing the campaign:</p>
          <ul>
            <li>${waiting === 0 ? 'sends no last fax: no names are waiting' : html`sends the last batch at once: <strong>${plural(waiting, 'name')}</strong> waiting go to ${plural(campaign.targets.length, 'target')} by fax (or e-mail)`};</li>
            <li>answers texts that arrive afterwards with “the action has closed”: those late replies are kept but their names never go on a fax;</li>
            <li>cannot be undone: a closed campaign is never reopened, and its keyword becomes free for another.</li>
          </ul>
          <form method="post" action="/console/campaigns/${id}/close">${csrfField(context)}
            <input type="hidden" name="confirm" value="yes">
            <button type="submit" class="danger">Close the campaign now</button>&nbsp;
            <a href="/console/campaigns/${id}">Keep it open</a>
          </form></div>`
            : html`<p>This campaign is ${campaign.status}; only an open campaign can be closed.</p><p><a href="/console/campaigns/${id}">Back to the campaign</a></p>`
        }`,
        ),
      );
    },
  );

  app.post<Params>(
    '/campaigns/:id/close',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      if (field(request.body, 'confirm') !== 'yes')
        return reply.redirect(`/console/campaigns/${id}/close`, 303);
      await campaigns.close(id, staffOf(request).id);
      setFlash(request, 'The campaign is closed; its last batch is on its way.');
      return reply.redirect(`/console/campaigns/${id}`, 303);
    },
  );

  /** The held names, live: reasons in words, and each row's release and hide. */
  async function liveParts(context: PageContext, id: number) {
    const campaign = await campaigns.get(id);
    const held = await signatures.list(id, { status: 'held', limit: 200 });
    const chart = chartSvg(await signatures.overTime(id));
    const canModerate = canDo(context, 'campaigner');
    const heldTable = held.items.length
      ? dataTable(
          ['Name', 'Why held', 'Signed', 'Actions'],
          held.items.map((s) => ({
            id: `held-${s.id}`,
            cells: [
              s.name || '(no name)',
              reasonText(s.holdReason),
              formatTime(s.signedAt),
              canModerate &&
                html`${actionButton(context, `/console/signatures/${s.id}/release`, `Release ${s.name}`, { fields: { from: 'held' } })} ${actionButton(context, `/console/signatures/${s.id}/hide`, `Hide ${s.name}`, { danger: true, fields: { from: 'held' } })}`,
            ],
          })),
          '',
        )
      : html`<p>No names are waiting for review.</p>`;
    return { campaign, chart, heldTable };
  }

  app.get<Params>('/campaigns/:id', { onRequest: requireRole('viewer') }, async (request, reply) => {
    const id = idOf(request);
    const flash = takeFlash(request);
    const context = tools.context(request, reply);
    const { campaign, chart, heldTable } = await liveParts(context, id);
    const wanted = listQueryOf(request.query);
    const found = await signatures.search(id, wanted, wanted.page, PER_PAGE);
    const pages = Math.max(1, Math.ceil(found.total / PER_PAGE));
    const canWrite = canDo(context, 'campaigner');
    const back = queryOf(wanted);
    const listTable = dataTable(
      ['Name', 'Status', 'Signed', 'Actions'],
      found.items.map((s) => ({
        id: `sig-${s.id}`,
        cells: [
          s.name || '(no name)',
          html`<span class="status status-${s.status}">${s.status}</span>${s.status === 'held' && html` <span class="hint">(${reasonText(s.holdReason)})</span>`}${s.batchId !== null && html` <span class="hint">(faxed)</span>`}`,
          formatTime(s.signedAt),
          canWrite &&
            s.batchId === null &&
            html`${s.status === 'valid' && actionButton(context, `/console/signatures/${s.id}/hold`, `Hold ${s.name}`, { secondary: true, fields: { back, from: 'list' } })}
            ${(s.status === 'held' || s.status === 'hidden') && s.name !== '' && actionButton(context, `/console/signatures/${s.id}/release`, `Release ${s.name}`, { secondary: true, fields: { back, from: 'list' } })}
            ${(s.status === 'valid' || s.status === 'held') && actionButton(context, `/console/signatures/${s.id}/hide`, `Hide ${s.name}`, { danger: true, fields: { back, from: 'list' } })}`,
        ],
      })),
      wanted.q || wanted.status ? 'No signatures match.' : 'No signatures yet.',
    );
    const link = (change: Partial<ListQuery>) =>
      `/console/campaigns/${id}?${queryOf({ ...wanted, ...change })}#signatures`;
    const first = found.total === 0 ? 0 : (wanted.page - 1) * PER_PAGE + 1;
    const last = Math.min(found.total, wanted.page * PER_PAGE);
    const filtered = wanted.q !== '' || wanted.status !== '';
    const stat = (key: string, label: string, value: number) =>
      html`<div class="stat"><strong data-field="${key}">${value}</strong>${label}</div>`;
    const counts = countsFields(campaign);
    return tools.send(
      reply,
      page(
        context,
        campaign.title,
        html`<h1>${campaign.title}</h1>
        <p>Keyword <strong>${campaign.keyword}</strong> · <span class="status status-${campaign.status}">${campaign.status}</span>
          ${campaign.reference && html` · ${campaign.reference}`} · deadline ${formatTime(campaign.closesAt)}</p>
        <p>
          ${canWrite && html`<a class="button secondary" href="/console/campaigns/${id}/edit">Edit</a>`}
          <a class="button secondary" href="/console/campaigns/${id}/fax">Fax</a>
          <a class="button secondary" href="/console/campaigns/${id}/updates">Updates</a>
          ${canWrite && campaign.status === 'draft' && actionButton(context, `/console/campaigns/${id}/open`, 'Open the campaign')}
          ${canWrite && campaign.status === 'open' && html`<a class="button danger" href="/console/campaigns/${id}/close">Close the campaign…</a>`}
        </p>
        <p class="hint">On this page: <a href="#signatures">signatures</a> · <a href="#letter">the letter</a> · <a href="#targets">the targets</a>${campaign.public && html` · <a href="#embed">embed this action</a>`}</p>
        <div data-poll="/console/campaigns/${id}/live.json" data-every="2000">
          <h2>Signatures</h2>
          <div class="stats" aria-live="polite">
            ${stat('signatureCount', 'signatures', counts.signatureCount)}
            ${stat('heldCount', 'held for review', counts.heldCount)}
            ${stat('pendingFaxCount', 'waiting for the fax', counts.pendingFaxCount)}
            ${stat('lateCount', 'late', counts.lateCount)}
            ${stat('hiddenCount', 'hidden', counts.hiddenCount)}
          </div>
          <div class="chart" data-html="chart">${chart}</div>
          <h2 id="held">Held for review</h2>
          <div data-html="held">${heldTable}</div>
        </div>
        <h2 id="signatures">All signatures</h2>
        <form method="get" action="/console/campaigns/${id}" class="search" role="search">
          <div><label for="q">Name contains</label>
          <input type="search" id="q" name="q" value="${wanted.q}" maxlength="${MAX_SEARCH}"></div>
          <div><label for="status">Status</label>
          <select id="status" name="status"><option value="">Any</option>${SIGNATURE_STATUSES.map((status) => html`<option value="${status}" ${wanted.status === status ? html`selected` : null}>${status}</option>`)}</select></div>
          <div><button type="submit">Search</button> ${filtered && html`<a href="/console/campaigns/${id}#signatures">Clear</a>`}</div>
        </form>
        <p id="list-summary" role="status">${found.total === 0 ? (filtered ? 'No signatures match.' : 'No signatures yet.') : html`${first === 1 && last === found.total ? plural(found.total, filtered ? 'signature matches' : 'signature', filtered ? 'signatures match' : 'signatures') : `${first.toLocaleString('en-GB')}–${last.toLocaleString('en-GB')} of ${plural(found.total, filtered ? 'signature matching' : 'signature', filtered ? 'signatures matching' : 'signatures')}`}`}
          · <a href="/console/campaigns/${id}/signatures.csv${wanted.status ? `?status=${wanted.status}` : ''}" download>Download ${wanted.status ? `the ${wanted.status} names` : 'all names'} as CSV</a></p>
        ${
          canWrite &&
          filtered &&
          found.total > 0 &&
          html`<form method="post" action="/console/campaigns/${id}/signatures/bulk" class="bulk">${csrfField(context)}
          <input type="hidden" name="q" value="${wanted.q}"><input type="hidden" name="status" value="${wanted.status}">
          <p class="hint">For every name this search finds (all its pages) that has not gone out in a fax:</p>
          <button type="submit" name="action" value="release" class="secondary">Release the held and hidden ones</button>
          <button type="submit" name="action" value="hide" class="danger">Hide them all</button>
        </form>`
        }
        ${listTable}
        ${
          pages > 1 &&
          html`<nav class="pages" aria-label="Pages of signatures">
          ${wanted.page > 1 ? html`<a href="${link({ page: wanted.page - 1 })}" rel="prev">Earlier signatures</a>` : null}
          <span>Page ${wanted.page} of ${pages}</span>
          ${wanted.page < pages ? html`<a href="${link({ page: wanted.page + 1 })}" rel="next">Later signatures</a>` : null}
        </nav>`
        }
        ${asSent(campaign)}
        ${campaign.public && embedSection(campaign.keyword, config.publicBaseUrl)}`,
        flash && { text: flash.text, problem: flash.problem },
      ),
    );
  });

  app.get<Params>(
    '/campaigns/:id/live.json',
    { onRequest: requireRole('viewer') },
    async (request, reply) => {
      const { campaign, chart, heldTable } = await liveParts(tools.context(request, reply), idOf(request));
      return { fields: countsFields(campaign), html: { chart: chart.text, held: heldTable.text } };
    },
  );

  app.get<Params>(
    '/campaigns/:id/signatures.csv',
    { onRequest: requireRole('viewer') },
    async (request, reply) => {
      const status = statusOf((request.query as { status?: unknown }).status);
      const { filename, stream } = await signatures.exportCsv(idOf(request), status || undefined);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    },
  );

  app.post<Params>(
    '/campaigns/:id/signatures/bulk',
    { onRequest: requireRole('campaigner') },
    async (request, reply) => {
      const id = idOf(request);
      const action = field(request.body, 'action');
      const filter = listQueryOf({ q: field(request.body, 'q'), status: field(request.body, 'status') });
      const back = `/console/campaigns/${id}?${queryOf({ ...filter, page: 1 })}#signatures`;
      if ((action !== 'release' && action !== 'hide') || (filter.q === '' && filter.status === '')) {
        setFlash(request, 'Search or choose a status first: a bulk change applies to a filtered list.', true);
        return reply.redirect(back, 303);
      }
      const changed = await signatures.bulk(
        id,
        action,
        { q: filter.q, ...(filter.status ? { status: filter.status } : {}) },
        staffOf(request).id,
      );
      setFlash(
        request,
        changed === 0
          ? `No names to ${action}: none in this list can be ${action === 'hide' ? 'hidden' : 'released'}.`
          : `${action === 'hide' ? 'Hid' : 'Released'} ${plural(changed, 'name')}.`,
      );
      return reply.redirect(back, 303);
    },
  );

  const DONE: Record<'hold' | 'release' | 'hide', string> = {
    hold: 'Held',
    release: 'Released',
    hide: 'Hid',
  };
  for (const action of ['hold', 'release', 'hide'] as const) {
    app.post<Params>(
      `/signatures/:id/${action}`,
      { onRequest: requireRole('campaigner') },
      async (request, reply) => {
        const id = idOf(request);
        const wanted = listQueryOf(Object.fromEntries(new URLSearchParams(field(request.body, 'back'))));
        const fromHeld = field(request.body, 'from') === 'held';
        try {
          const moderated = await signatures[action](id, staffOf(request).id);
          setFlash(request, `${DONE[action]} ${moderated.name || 'the signature'}.`);
          // Back to the same list and place: the row, or the list's top when the row has left the filter.
          const stays = wanted.status === '' || wanted.status === moderated.status;
          const anchor = fromHeld ? 'held' : stays ? `sig-${id}` : 'signatures';
          return reply.redirect(
            `/console/campaigns/${moderated.campaignId}?${queryOf(wanted)}#${anchor}`,
            303,
          );
        } catch (error) {
          if (!(error instanceof AppError) || error.statusCode >= 500 || error.statusCode === 404)
            throw error;
          const campaignId = await signatures.campaignOf(id);
          setFlash(request, error.message, true);
          return reply.redirect(
            `/console/campaigns/${campaignId}?${queryOf(wanted)}#${fromHeld ? 'held' : `sig-${id}`}`,
            303,
          );
        }
      },
    );
  }
}

const PER_PAGE = 100;

/** What the list of signatures shows, read from a query string (or a form): anything else is ignored. */
interface ListQuery {
  q: string;
  status: SignatureStatus | '';
  page: number;
}

function statusOf(value: unknown): SignatureStatus | '' {
  return typeof value === 'string' && (SIGNATURE_STATUSES as readonly string[]).includes(value)
    ? (value as SignatureStatus)
    : '';
}

function listQueryOf(query: unknown): ListQuery {
  const read = (name: string) => {
    const value = (query as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };
  const page = Number(read('page'));
  return {
    q: read('q').trim().slice(0, MAX_SEARCH),
    status: statusOf(read('status')),
    page: Number.isSafeInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
  };
}

/** The query string of a list: only what differs from the defaults. */
function queryOf(list: ListQuery): string {
  const query = new URLSearchParams();
  if (list.q) query.set('q', list.q);
  if (list.status) query.set('status', list.status);
  if (list.page > 1) query.set('page', String(list.page));
  return query.toString();
}

function reasonText(reason: string | null): string {
  if (reason === null) return '';
  return Object.hasOwn(HOLD_REASONS, reason) ? HOLD_REASONS[reason as keyof typeof HOLD_REASONS] : reason;
}
