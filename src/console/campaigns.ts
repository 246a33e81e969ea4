import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { MAX_SEARCH, SIGNATURE_STATUSES, type SignatureStatus } from '../campaigns/signatures.js';
import { AppError } from '../errors.js';
import type { TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { campaignEditPages } from './campaign-edit.js';
import { type ConsoleTools, FormText, formBody, idOf, PageParams, setFlash, takeFlash } from './forms.js';
import {
  campaignsListView,
  campaignView,
  closeView,
  countsOf,
  heldTableView,
  type ListQuery,
  queryOf,
} from './views/campaign.js';
import { chartSvg } from './views/chart.js';
import { canDo, type PageContext, page, plural } from './views/layout.js';

const PER_PAGE = 100;

const ListQueryString = Type.Object({ q: FormText, status: FormText, page: FormText });
const ModerationBody = formBody({ back: FormText, from: FormText });

function statusOf(value: unknown): SignatureStatus | '' {
  return typeof value === 'string' && (SIGNATURE_STATUSES as readonly string[]).includes(value)
    ? (value as SignatureStatus)
    : '';
}

/** The list's query with its status one the service knows. */
interface SignatureQuery extends ListQuery {
  status: SignatureStatus | '';
}

/** What the list of signatures shows, read from a query string (or a form): anything else is ignored. */
function listQueryOf(query: Record<string, unknown> | undefined): SignatureQuery {
  const read = (name: string) => {
    const value = query?.[name];
    return typeof value === 'string' ? value : '';
  };
  const page = Number(read('page'));
  return {
    q: read('q').trim().slice(0, MAX_SEARCH),
    status: statusOf(read('status')),
    page: Number.isSafeInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
  };
}

/** The campaigns, one campaign with its signatures and their moderation, opening and closing. */
export function campaignPages(plain: FastifyInstance, tools: ConsoleTools) {
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const { campaigns, signatures, config } = app.services;
  const viewer = { onRequest: requireRole('viewer') };
  const campaigner = { onRequest: requireRole('campaigner') };

  // The new and edit forms: pages of their own file.
  campaignEditPages(plain, tools);

  app.get('/campaigns', viewer, async (request, reply) => {
    const context = tools.context(request, reply);
    const { items } = await campaigns.list({ limit: 200 });
    const body = campaignsListView(items, canDo(context, 'campaigner'));
    return tools.send(reply, page(context, 'Campaigns', body));
  });

  app.get('/campaigns/counts.json', viewer, async () => {
    const { items } = await campaigns.list({ limit: 200 });
    const fields: Record<string, number> = {};
    for (const c of items) {
      fields[`count-${c.id}`] = c.signatureCount;
      fields[`held-${c.id}`] = c.heldCount;
    }
    return { fields };
  });

  app.post(
    '/campaigns/:id/open',
    { ...campaigner, schema: { params: PageParams } },
    async (request, reply) => {
      const id = idOf(request);
      await campaigns.open(id, staffOf(request).id);
      setFlash(request, 'The campaign is open: texts with its keyword now sign it.');
      return reply.redirect(`/console/campaigns/${id}`, 303);
    },
  );

  app.get(
    '/campaigns/:id/close',
    { ...campaigner, schema: { params: PageParams } },
    async (request, reply) => {
      const campaign = await campaigns.get(idOf(request));
      const context = tools.context(request, reply);
      return tools.send(reply, page(context, `Close ${campaign.title}?`, closeView(context, campaign)));
    },
  );

  app.post(
    '/campaigns/:id/close',
    { ...campaigner, schema: { params: PageParams, body: formBody({ confirm: FormText }) } },
    async (request, reply) => {
      const id = idOf(request);
      if (request.body.confirm !== 'yes') return reply.redirect(`/console/campaigns/${id}/close`, 303);
      await campaigns.close(id, staffOf(request).id);
      setFlash(request, 'The campaign is closed; its last batch is on its way.');
      return reply.redirect(`/console/campaigns/${id}`, 303);
    },
  );

  /** The parts of the campaign page that update by themselves: counts, chart and held names. */
  async function liveParts(context: PageContext, id: number) {
    const campaign = await campaigns.get(id);
    const held = await signatures.list(id, { status: 'held', limit: 200 });
    const chart = chartSvg(await signatures.overTime(id));
    const heldTable = heldTableView(context, held.items, canDo(context, 'campaigner'));
    return { campaign, chart, heldTable };
  }

  app.get(
    '/campaigns/:id',
    { ...viewer, schema: { params: PageParams, querystring: ListQueryString } },
    async (request, reply) => {
      const id = idOf(request);
      const flash = takeFlash(request);
      const context = tools.context(request, reply);
      const { campaign, chart, heldTable } = await liveParts(context, id);
      const wanted = listQueryOf(request.query);
      const found = await signatures.search(id, wanted, wanted.page, PER_PAGE);
      const body = campaignView({
        context,
        campaign,
        canWrite: canDo(context, 'campaigner'),
        chart,
        held: heldTable,
        list: { wanted, ...found, perPage: PER_PAGE, statuses: SIGNATURE_STATUSES, maxSearch: MAX_SEARCH },
        publicBaseUrl: config.publicBaseUrl,
      });
      return tools.send(reply, page(context, campaign.title, body, flash));
    },
  );

  app.get(
    '/campaigns/:id/live.json',
    { ...viewer, schema: { params: PageParams } },
    async (request, reply) => {
      const { campaign, chart, heldTable } = await liveParts(tools.context(request, reply), idOf(request));
      return { fields: countsOf(campaign), html: { chart: chart.text, held: heldTable.text } };
    },
  );

  app.get(
    '/campaigns/:id/signatures.csv',
    { ...viewer, schema: { params: PageParams, querystring: Type.Object({ status: FormText }) } },
    async (request, reply) => {
      const status = statusOf(request.query.status);
      const { filename, stream } = await signatures.exportCsv(idOf(request), status || undefined);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    },
  );

  app.post(
    '/campaigns/:id/signatures/bulk',
    {
      ...campaigner,
      schema: { params: PageParams, body: formBody({ action: FormText, q: FormText, status: FormText }) },
    },
    async (request, reply) => {
      const id = idOf(request);
      const { action } = request.body;
      const filter = listQueryOf({ q: request.body.q, status: request.body.status });
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
    app.post(
      `/signatures/:id/${action}`,
      { ...campaigner, schema: { params: PageParams, body: ModerationBody } },
      async (request, reply) => {
        const id = idOf(request);
        const wanted = listQueryOf(Object.fromEntries(new URLSearchParams(request.body.back ?? '')));
        const fromHeld = request.body.from === 'held';
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
