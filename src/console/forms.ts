import type { FastifyReply, FastifyRequest } from 'fastify';
import { type TObjectOptions, type TProperties, Type } from 'typebox';
import { AppError } from '../errors.js';
import type { SafeHtml } from '../html.js';
import type { PageContext } from './views/layout.js';

/** A form body as @fastify/formbody parses it. */
export type Form = Record<string, string | string[] | undefined>;

/** A form's text field, or a query's: absent when the form has no such field. */
export const FormText = Type.Optional(Type.String());

/**
 * A checkbox after a hidden field of the same name ("off", then "on" when ticked): one value or both.
 * `field` reads the last.
 */
export const FormSwitch = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]));

/** A form's body: its fields, and the CSRF token every form carries. Other fields are let through. */
export const formBody = <T extends TProperties>(fields: T, options: TObjectOptions = {}) =>
  Type.Object({ _csrf: FormText, ...fields }, options);

/**
 * The `:id` of a page. Any text: one that is no id is a page that does not exist (404, see `numeric`),
 * not a bad request.
 */
export const PageParams = Type.Object({ id: Type.String() });

/** One text field of a form ('' when absent; the last value when repeated). */
export function field(form: unknown, name: string): string {
  const value = (form as Form | undefined)?.[name];
  return (Array.isArray(value) ? value.at(-1) : value) ?? '';
}

export interface ConsoleTools {
  /** The context every page needs: who is signed in and the CSRF token of its forms. */
  context(request: FastifyRequest, reply: FastifyReply): PageContext;
  /** Sends a full HTML page. */
  send(reply: FastifyReply, body: SafeHtml, status?: number): FastifyReply;
}

/**
 * A positive whole number written as digits (a route's id, or one sent in a query or a form), at most
 * `maximum` (what its column holds); any other text is a page that does not exist.
 */
export function numeric(text: string | undefined, maximum = Number.MAX_SAFE_INTEGER): number {
  const id = Number(text);
  if (!text || !/^\d{1,18}$/.test(text) || !Number.isSafeInteger(id) || id < 1 || id > maximum) {
    throw new AppError(404, 'not_found', 'No such page.');
  }
  return id;
}

/** The `:id` of a page's route. */
export const idOf = (request: FastifyRequest) => numeric((request.params as { id?: string }).id);

/** A 4xx the page can explain: shown on the page; anything else goes to the console's error page. */
export const explainable = (error: unknown): error is AppError =>
  error instanceof AppError && error.statusCode < 500 && error.statusCode !== 404;

/** A message for the page the next redirect lands on, kept in the session and shown once. */
export function setFlash(request: FastifyRequest, text: string, problem = false) {
  request.session.set('flash', JSON.stringify({ text, problem }));
}

/** This session's message, if one waits: taken, so a reload does not show it again. */
export function takeFlash(request: FastifyRequest): { text: string; problem: boolean } | null {
  const stored = request.session.get('flash');
  if (stored === undefined) return null;
  request.session.set('flash', undefined);
  try {
    const { text, problem } = JSON.parse(stored) as { text?: unknown; problem?: unknown };
    return typeof text === 'string' ? { text, problem: problem === true } : null;
  } catch {
    return null;
  }
}
