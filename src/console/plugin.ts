import csrfProtection from '@fastify/csrf-protection';
import multipart from '@fastify/multipart';
import secureSession from '@fastify/secure-session';
import type { FastifyError, FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import { MAX_IMPORT_BYTES } from '../members/service.js';
import type { TypeBoxRequests } from '../schemas.js';
import type { StaffPrincipal } from '../staff/auth.js';
import { digest, type Limits } from '../staff/limits.js';
import { SESSION_HOURS } from '../staff/sessions.js';
import { refuseUnsafeText } from '../text.js';
import { adminPages } from './admin.js';
import { consoleAssets } from './assets.js';
import { campaignPages } from './campaigns.js';
import { dashboardPages } from './dashboard.js';
import { faxPages } from './fax.js';
import { type ConsoleTools, field } from './forms.js';
import { importPages } from './imports.js';
import { queueBoard, XSRF_HEADER } from './queues.js';
import { stuckPages } from './stuck.js';
import { updatePages } from './updates.js';
import { setDisplay } from './views/layout.js';
import { loginPage, problemPage } from './views/session.js';

declare module '@fastify/secure-session' {
  interface SessionData {
    /** The id of a server-side session (staff_sessions): the sealed cookie alone signs no one in. */
    session: string;
    /** A message for the next page this session sees (after a form's redirect), shown once. */
    flash: string;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Pieces of work stuck, for the banner of the page this request renders. */
    stuck: number;
  }
}

/**
 * Failed sign-ins before each further try must wait (1 s, doubling): from one address, 10 (an office
 * behind one address types passwords wrong too), waits of up to 15 minutes; for one account, from
 * anywhere, 5, waits of up to a minute, so that whoever guesses a colleague's password costs them a
 * minute's wait at most, never a lock-out.
 */
const SIGN_IN_LIMITS = {
  address: { free: 10, windowMs: 15 * 60_000, maxWaitMs: 15 * 60_000 },
  account: { free: 5, windowMs: 15 * 60_000, maxWaitMs: 60_000 },
};

const LoginForm = Type.Object({
  email: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
});

const tools: ConsoleTools = {
  context(request, reply) {
    return { staff: request.staff, csrf: reply.generateCsrf(), stuck: request.stuck };
  },
  send(reply, body, status = 200) {
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(body.text);
  },
};

/**
 * The staff console: server-rendered pages over the same services as the staff API, signed in with a
 * password and a server-side session named by a sealed cookie, every request that changes something
 * checked for its CSRF token.
 */
export async function consoleRoutes(app: FastifyInstance, options: { limits: Limits }) {
  const { config, staff, stuck } = app.services;
  setDisplay({ timeZone: config.orgTimezone, currency: config.currency });
  await app.register(secureSession, {
    key: config.sessionSecret,
    cookieName: 'pp_console',
    expiry: SESSION_HOURS * 3600,
    cookie: {
      path: '/console',
      httpOnly: true,
      sameSite: 'lax',
      secure: config.publicBaseUrl.startsWith('https:'),
    },
  });
  await app.register(csrfProtection, {
    sessionPlugin: '@fastify/secure-session',
    // Forms send the token as a field; Bull Board's page sends it as a header (see queues.ts).
    getToken: (request) => {
      const header = request.headers[XSRF_HEADER];
      return typeof header === 'string' ? header : field(request.body, '_csrf');
    },
  });

  // A form with a file (the members import) comes as multipart: its fields land in the body like any
  // form's, before the CSRF check reads them; the file as a Buffer, one file and a few fields at most.
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 20, fieldSize: 1024 * 1024, parts: 21 },
  });

  app.decorateRequest('staff', null);
  app.decorateRequest('stuck', 0);
  app.addHook('preValidation', refuseUnsafeText);
  app.addHook('onRequest', async (request) => {
    const session = request.session.get('session');
    if (session === undefined) return;
    const member = await staff.sessionStaff(session);
    if (!member) {
      request.session.delete();
      return;
    }
    request.staff = { ...member, tokenId: null } satisfies StaffPrincipal;
    // Pages only: the live JSON polls, assets and Bull Board draw no banner. The count is shared a few
    // seconds.
    if (!/\.(json|css|js|csv)$|^\/console\/queues/.test(request.url.split('?')[0] ?? '')) {
      request.stuck = Object.values(await stuck.counts()).reduce((sum, n) => sum + n, 0);
    }
  });
  // Every request that changes something, each form (sign-in included) and each of Bull Board's calls,
  // must carry the token of its session.
  app.addHook('preHandler', (request, reply, done) => {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return app.csrfProtection(request, reply, done);
    done();
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError && error.statusCode === 401) {
      // A page or a form of an expired session goes to sign-in; the live JSON just reports it.
      if (!request.url.split('?')[0]?.endsWith('.json')) return reply.redirect('/console/login', 303);
      return reply.status(401).send({ error: { code: error.code, message: 'Sign in again.' } });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'console request failed');
    const message =
      status >= 500
        ? 'Something went wrong on our side.'
        : (error as { code?: string }).code === 'FST_CSRF_INVALID_TOKEN' ||
            (error as { code?: string }).code === 'FST_CSRF_MISSING_SECRET'
          ? 'This form has expired; go back, reload the page and try again.'
          : error.message;
    const context = { staff: request.staff, csrf: reply.generateCsrf(), stuck: request.stuck };
    return tools.send(reply, problemPage(context, message), status);
  });

  await consoleAssets(app);

  const byAddress = options.limits.failures('sign-in-address', SIGN_IN_LIMITS.address);
  const byAccount = options.limits.failures('sign-in-account', SIGN_IN_LIMITS.account);

  const routes = app.withTypeProvider<TypeBoxRequests>();
  routes.get('/login', async (request, reply) => {
    if (request.staff) return reply.redirect('/console', 303);
    return tools.send(reply, loginPage(tools.context(request, reply), '', null));
  });

  routes.post('/login', { schema: { body: LoginForm } }, async (request, reply) => {
    const email = request.body.email ?? '';
    const account = digest(email.trim().toLowerCase());
    const wait = Math.max(
      ...(await Promise.all([byAddress.waitFor(request.ip), byAccount.waitFor(account)])),
    );
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      const context = tools.context(request, reply);
      const after =
        seconds === 1
          ? '1 second'
          : seconds < 120
            ? `${seconds} seconds`
            : `${Math.ceil(seconds / 60)} minutes`;
      reply.header('retry-after', seconds);
      return tools.send(
        reply,
        loginPage(context, email, `Too many failed sign-ins; try again in ${after}.`),
        429,
      );
    }
    const member = await staff.verifyPassword(email, request.body.password ?? '');
    if (!member) {
      await Promise.all([byAddress.recordFailure(request.ip), byAccount.recordFailure(account)]);
      const context = tools.context(request, reply);
      return tools.send(reply, loginPage(context, email, 'That e-mail and password do not match.'), 401);
    }
    // A fresh session on sign-in, so that a session planted before it is worth nothing.
    request.session.regenerate();
    request.session.set('session', await staff.startSession(member.id));
    return reply.redirect('/console', 303);
  });

  // Ends this session on the server too: a copy of the cookie is worth nothing afterwards.
  app.post('/logout', async (request, reply) => {
    const session = request.session.get('session');
    if (session !== undefined) await staff.endSession(session);
    request.session.delete();
    return reply.redirect('/console/login', 303);
  });

  dashboardPages(app, tools);
  campaignPages(app, tools);
  faxPages(app, tools);
  updatePages(app, tools);
  adminPages(app, tools);
  importPages(app, tools);
  stuckPages(app, tools);
  await app.register(queueBoard, { prefix: '/queues' });
}
