import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import type { TypeBoxRequests } from '../schemas.js';
import { requireRole, staffOf } from '../staff/auth.js';
import { MIN_PASSWORD_LENGTH } from '../staff/passwords.js';
import { type ConsoleTools, setFlash, takeFlash } from './forms.js';
import { accountPage, passwordLinkPage } from './views/account.js';
import { flashNotice } from './views/staff.js';

const TokenParams = Type.Object({ token: Type.String() });
const PasswordForm = Type.Object({
  current: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  repeat: Type.Optional(Type.String()),
});

/** Each person's own password: set through a one-time link (an invitation or a reset), or changed. */
export function accountRoutes(plain: FastifyInstance, tools: ConsoleTools) {
  const app = plain.withTypeProvider<TypeBoxRequests>();
  const { staff: staffService } = app.services;

  app.get('/password/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    const { token } = request.params;
    const context = tools.context(request, reply);
    try {
      const link = await staffService.passwordLink(token);
      return tools.send(reply, passwordLinkPage(context, token, link, null, MIN_PASSWORD_LENGTH));
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode !== 410) throw error;
      const problem = { field: 'form', message: error.message };
      return tools.send(reply, passwordLinkPage(context, token, null, problem, MIN_PASSWORD_LENGTH), 410);
    }
  });

  app.post(
    '/password/:token',
    { schema: { params: TokenParams, body: PasswordForm } },
    async (request, reply) => {
      const { token } = request.params;
      const password = request.body.password ?? '';
      let link: { email: string; purpose: string };
      try {
        link = await staffService.passwordLink(token);
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode !== 410) throw error;
        const context = tools.context(request, reply);
        const problem = { field: 'form', message: error.message };
        return tools.send(reply, passwordLinkPage(context, token, null, problem, MIN_PASSWORD_LENGTH), 410);
      }
      try {
        if (password !== (request.body.repeat ?? '')) {
          throw new AppError(400, 'passwords_differ', 'The two passwords are not the same.', 'repeat');
        }
        const staffId = await staffService.usePasswordLink(token, password);
        // Signed in at once, in a fresh session: the link's whole point is to let them in.
        request.session.regenerate();
        request.session.set('session', await staffService.startSession(staffId));
        setFlash(request, 'Your password is set; you are signed in.');
        return reply.redirect('/console/account', 303);
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        const context = tools.context(request, reply);
        const problem = {
          field: error.field ?? (error.statusCode === 410 ? 'form' : 'password'),
          message: error.message,
        };
        const shown = error.statusCode === 410 ? null : link;
        return tools.send(
          reply,
          passwordLinkPage(context, token, shown, problem, MIN_PASSWORD_LENGTH),
          error.statusCode,
        );
      }
    },
  );

  app.get('/account', { onRequest: requireRole('viewer') }, async (request, reply) => {
    const notice = flashNotice(takeFlash(request));
    return tools.send(reply, accountPage(tools.context(request, reply), notice, null, MIN_PASSWORD_LENGTH));
  });

  app.post(
    '/account/password',
    { onRequest: requireRole('viewer'), schema: { body: PasswordForm } },
    async (request, reply) => {
      const me = staffOf(request);
      const password = request.body.password ?? '';
      try {
        if (password !== (request.body.repeat ?? '')) {
          throw new AppError(400, 'passwords_differ', 'The two new passwords are not the same.', 'repeat');
        }
        await staffService.changePassword(me, request.body.current ?? '', password);
        // Every session of theirs ended with the change; this browser gets a fresh one.
        request.session.regenerate();
        request.session.set('session', await staffService.startSession(me.id));
        setFlash(request, 'Your password is changed; every other session of yours is signed out.');
        return reply.redirect('/console/account', 303);
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
        const problem = { field: error.field ?? 'password', message: error.message };
        const context = tools.context(request, reply);
        return tools.send(reply, accountPage(context, null, problem, MIN_PASSWORD_LENGTH), error.statusCode);
      }
    },
  );
}
