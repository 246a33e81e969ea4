import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The one error shape of the HTTP API: `{ error: { code, message } }`. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** The field of the request it is about, as a path (`keyword`, `targets[1].faxNumbers`), if any. */
    readonly field?: string,
    /** More the caller can act on, sent beside `code` and `message` (a confirmation's numbers). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { ...details, code, message } };
}

/**
 * A JSON pointer of the schema's checks (`/targets/0/name`) as the API's field paths name it
 * (`targets[0].name`).
 */
function pathOf(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
}

export function handleError(error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    return reply.status(error.statusCode).send(errorBody(error.code, error.message, error.details));
  }
  if (error.validation) {
    const context = error.validationContext ?? 'request';
    const details = error.validation.map((problem) => {
      const field = pathOf(problem.instancePath) || context;
      return { field, message: `${field} ${problem.message ?? 'is not valid'}` };
    });
    return reply
      .status(400)
      .send(errorBody('validation_failed', `${context}${error.message.replace(/^\w+/, '')}`, { details }));
  }
  const status = error.statusCode ?? 500;
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed');
    return reply.status(status).send(errorBody('internal_error', 'Something went wrong on our side.'));
  }
  const code = error.code ? error.code.replace(/^FST_(ERR_)?/, '').toLowerCase() : 'bad_request';
  return reply.status(status).send(errorBody(code, error.message));
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
  return reply
    .status(404)
    .send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`));
}
