import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SafeHtml } from './html.js';
import type { PageContext } from './layout.js';

/** A form body as @fastify/formbody parses it. */
export type Form = Record<string, string | string[] | undefined>;

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
