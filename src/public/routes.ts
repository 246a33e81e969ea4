import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import { SafeHtml } from '../html.js';
import type { TypeBoxRequests } from '../schemas.js';
import { PUBLIC_CACHE_SECONDS, type PublicAction } from './service.js';
import { actionPage, noActionPage } from './views/action.js';
import { badgeSvg } from './views/badge.js';

/** A keyword as staff may set one: letters and digits. Anything else is no action. */
const KEYWORD = /^[\p{L}\p{N}]{1,40}$/u;

/**
 * The public pages' files, beside this module (`dist/src/public/assets/` in the built product, where
 * `npm run build` copies them): read once, when the routes are registered.
 */
const asset = (name: string) => readFile(new URL(`./assets/${name}`, import.meta.url), 'utf8');

/**
 * The /act pages may be shown or embedded by other sites: CORS and a cross-origin resource policy, here only.
 */
function publicHeaders(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .type(type)
    .header('access-control-allow-origin', '*')
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('cache-control', `public, max-age=${PUBLIC_CACHE_SECONDS}`);
}

/** A program asking for JSON (and not for a page) gets JSON; a browser, which asks for text/html, a page. */
const wantsJson = (request: FastifyRequest) => {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
};

const noAction = () => new AppError(404, 'not_found', 'There is no public action with that keyword.');

/**
 * The public pages of an action, without sign-in: `/act/:keyword` (HTML), `/act/:keyword.json` and
 * `/act/:keyword/badge.svg`. No supporter's name or number is in any of them.
 */
export async function publicRoutes(plain: FastifyInstance) {
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const { publicActions, config, clock } = app.services;
  const [css, liveJs, favicon] = await Promise.all([
    asset('action.css'),
    asset('live.js'),
    asset('favicon.svg'),
  ]);
  // Our own file, inlined so that a phone draws the page from one response.
  const style = { css: new SafeHtml(`\n${css}`) };

  async function lookUp(keyword: string): Promise<PublicAction | null> {
    return KEYWORD.test(keyword) ? await publicActions.action(keyword) : null;
  }

  async function find(keyword: string): Promise<PublicAction> {
    const action = await lookUp(keyword);
    if (!action) throw noAction();
    return action;
  }

  // Browsers ask every site for its icon: a small one rather than a 404 on every page.
  const icon = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(favicon);
  app.get('/favicon.svg', icon);
  app.get('/favicon.ico', icon);

  app.get('/act/live.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(liveJs),
  );

  app.get(
    '/act/:slug',
    { schema: { params: Type.Object({ slug: Type.String() }) } },
    async (request, reply) => {
      const { slug } = request.params;
      reply.header('vary', 'accept');
      if (slug.endsWith('.json') || wantsJson(request)) {
        const action = await find(slug.replace(/\.json$/, ''));
        return publicHeaders(reply, 'application/json; charset=utf-8').send(action);
      }
      const action = await lookUp(slug);
      if (!action) {
        const page = noActionPage(slug, {
          ...style,
          orgName: config.orgName,
          shortcode: config.smsShortcode,
        });
        return publicHeaders(reply.status(404), 'text/html; charset=utf-8').send(page.text);
      }
      const pageUrl = `${config.publicBaseUrl.replace(/\/$/, '')}/act/${encodeURIComponent(action.keyword)}`;
      const page = actionPage(action, {
        ...style,
        orgName: config.orgName,
        timeZone: config.orgTimezone,
        pageUrl,
        now: clock(),
      });
      return publicHeaders(reply, 'text/html; charset=utf-8').send(page.text);
    },
  );

  app.get(
    '/act/:keyword/badge.svg',
    { schema: { params: Type.Object({ keyword: Type.String() }) } },
    async (request, reply) =>
      publicHeaders(reply, 'image/svg+xml; charset=utf-8').send(
        badgeSvg(await find(request.params.keyword)).text,
      ),
  );
}
