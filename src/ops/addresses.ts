/**
 * Saying which service could not be reached, where, and through which variable: used by `npm start`,
 * the command line and the doctor. An address is shown without its password.
 */

/** The URL with any password replaced by `***` (a Postgres or Redis URL may carry one). */
export function safeUrl(raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

/** One line for an error: the first address tried when a name resolved to several, never a stack. */
export function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const text = error.message || (typeof code === 'string' ? code : error.name);
    return text.split('\n')[0] ?? text;
  }
  return String(error);
}

export function unreachable(service: string, variable: string, url: string, error: unknown): string {
  return `Cannot reach ${service} at ${safeUrl(url)} (${variable}): ${reason(error)}`;
}

/**
 * Where this machine reaches a server listening on HOST and PORT: `localhost` (or, for a program's own
 * requests, 127.0.0.1) when it listens on every address.
 */
export function localServerUrl(host: string, port: number, { forHumans = false } = {}): string {
  const everywhere = ['0.0.0.0', '::', ''].includes(host);
  const name = everywhere ? (forHumans ? 'localhost' : '127.0.0.1') : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}
