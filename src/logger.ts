import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

/**
 * A safety net under the rule that no phone number or supporter name is ever logged: code never
 * passes them to the logger, and these paths are censored if one ever slips into a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  '*.From',
  '*.from',
  '*.Body',
  '*.body',
  '*.phone',
  '*.phoneNumber',
  '*.name',
  '*.password',
  '*.token',
];

/** Properties of a database error that name the schema, not the data: kept. */
const SAFE_ERROR_FIELDS = ['code', 'statusCode', 'severity', 'table', 'column', 'constraint', 'routine'];

/**
 * An error's message without the request's data: drizzle appends the statement's parameters
 * ("params: …"), Postgres ends some messages with the value it could not read (`: "…"`), URLs carry
 * callback tokens, and a number must never be written anywhere.
 */
export function scrubErrorText(text: string): string {
  return text
    .replace(/\nparams: [\s\S]*$/, '')
    .replace(/(: )"[^\n]*"$/gm, '$1"[value]"')
    .replace(/([?&]token=)[^&\s"']+/gi, '$1[redacted]')
    .replace(/\+\d{7,15}/g, '[number]');
}

/**
 * The error serializer: type, scrubbed message, stack frames and schema names. Postgres's `detail`
 * ("Failing row contains (…)"), `where`, the query's parameters and every other property of the error
 * are left out, as they copy what the request sent.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const type = error.constructor?.name ?? 'Error';
  const message = scrubErrorText(error.message);
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const out: Record<string, unknown> = {
    type,
    message,
    stack: [`${type}: ${message}`, ...frames].join('\n'),
  };
  for (const field of SAFE_ERROR_FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number') out[field] = value;
  }
  if (error.cause !== undefined && depth < 3) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

/** A request as logged: its route pattern, never the raw URL, whose query may carry a name searched for. */
function serializeRequest(request: FastifyRequest) {
  return { method: request.method, route: request.routeOptions?.url ?? null, remoteAddress: request.ip };
}

function serializeReply(reply: FastifyReply) {
  return { statusCode: reply.statusCode, route: reply.request?.routeOptions?.url ?? null };
}

/**
 * JSON lines by default (production, tests, log shippers); `pretty` (development on a terminal) prints
 * one readable line per entry instead, through the same redaction and serializers.
 */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  { pretty: readable = false }: { pretty?: boolean } = {},
): Logger {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, req: serializeRequest, res: serializeReply },
  };
  if (readable) {
    const stream = pretty({
      sync: true,
      colorize: process.stdout.isTTY === true,
      translateTime: 'HH:MM:ss',
      ignore: 'pid,hostname',
      singleLine: true,
      ...(destination ? { destination } : {}),
    });
    return pino(options, stream);
  }
  return destination ? pino(options, destination) : pino(options);
}
