import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../errors.js';
import { LIVE_COUNT_JS, renderActionPage, renderBadge } from './page.js';
import { PUBLIC_CACHE_SECONDS, type PublicAction } from './service.js';

/** A keyword as staff may set one: letters and digits. Anything else is no action. */
const KEYWORD = /^[\p{L}\p{N}]{1,40}$/u;

/** The /act pages may be shown or embedded by other sites: CORS and a cross-origin resource policy, here only. */
function publicHeaders(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .type(type)
    .header('access-control-allow-origin', '*')
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('cache-control', `public, max-age=${PUBLIC_CACHE_SECONDS}`);
}

const noAction = () => new AppError(404, 'not_found', 'There is no public action with that keyword.');

/**
 * The public pages of an action, without sign-in: `/act/:keyword` (HTML), `/act/:keyword.json` and
 * `/act/:keyword/badge.svg`. No supporter's name or number is in any of them.
 */
export async function publicRoutes(app: FastifyInstance) {
  const { publicActions, config, clock } = app.services;

  async function find(keyword: string): Promise<PublicAction> {
    if (!KEYWORD.test(keyword)) throw noAction();
    const action = await publicActions.action(keyword);
    if (!action) throw noAction();
    return action;
  }

  app.get('/act/live.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(LIVE_COUNT_JS),
  );

  app.get<{ Params: { slug: string } }>('/act/:slug', async (request, reply) => {
    const { slug } = request.params;
    if (slug.endsWith('.json')) {
      return publicHeaders(reply, 'application/json; charset=utf-8').send(await find(slug.slice(0, -5)));
    }
    const action = await find(slug);
    const pageUrl = `${config.publicBaseUrl.replace(/\/$/, '')}/act/${encodeURIComponent(action.keyword)}`;
    return publicHeaders(reply, 'text/html; charset=utf-8').send(
      renderActionPage(action, {
        orgName: config.orgName,
        timeZone: config.orgTimezone,
        pageUrl,
        now: clock(),
      }),
    );
  });

  app.get<{ Params: { keyword: string } }>('/act/:keyword/badge.svg', async (request, reply) =>
    publicHeaders(reply, 'image/svg+xml; charset=utf-8').send(
      renderBadge(await find(request.params.keyword)),
    ),
  );
}
