/**
 * Whether an error means Postgres could not be reached (no connection, a connection lost, a server
 * shutting down or starting up, no connection slot, no answer in time, or a server that is not the
 * primary any more or yet: a failover), as opposed to Postgres refusing the data or the statement.
 * Pure: it only reads the error.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENOENT', // a Unix socket that is not there
]);

/**
 * SQLSTATEs of a server that cannot serve: shutdown, crash, starting up, no slot left; and 25006
 * (read-only transaction): in a managed service's failover the address reaches a standby, or the old
 * primary turned standby, for a while. Nothing here writes in a transaction declared read-only, so
 * 25006 always means a server that cannot take writes yet.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '25006']);

const UNREACHABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'connection timeout',
  'Client has encountered a connection error',
  'Connection closed',
  'the database system is',
  'in a read-only transaction',
];

/** Thrown by callers that gave up waiting for Postgres. */
export class DatabaseTimeoutError extends Error {
  readonly code = 'DB_TIMEOUT';
  constructor(ms: number) {
    super(`no answer from Postgres within ${ms} ms`);
    this.name = 'DatabaseTimeoutError';
  }
}

export function isDatabaseUnreachable(error: unknown): boolean {
  if (error instanceof DatabaseTimeoutError) return true;
  if (error === null || typeof error !== 'object') return false;
  if (error instanceof AggregateError && error.errors.some(isDatabaseUnreachable)) return true;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')) return true;
    // Any other SQLSTATE is Postgres answering: a data or statement error, not an outage.
    if (/^[0-9A-Z]{5}$/.test(code)) return false;
  }
  if (typeof message === 'string' && UNREACHABLE_MESSAGES.some((m) => message.includes(m))) return true;
  return cause !== undefined && cause !== error && isDatabaseUnreachable(cause);
}
