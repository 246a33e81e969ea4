import { AppError } from './errors.js';

/**
 * Characters no text of ours may hold: NUL (Postgres text cannot store it), the other control
 * characters XML 1.0 forbids (TwiML replies are XML), lone surrogates (not UTF-8 at all) and
 * noncharacters (U+FFFE, U+FFFF and the like, which XML and the fax font refuse). Tab and line breaks
 * are ordinary text.
 */
export const UNSAFE_CHARACTER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters refused
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F]|\p{Cs}|\p{Noncharacter_Code_Point}/u;

/** The path of the first string (or property name) in `value` holding an unsafe character, or null. */
export function findUnsafeText(value: unknown, path: string): string | null {
  if (typeof value === 'string') return UNSAFE_CHARACTER.test(value) ? path : null;
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findUnsafeText(item, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    if (UNSAFE_CHARACTER.test(key)) return path;
    const found = findUnsafeText(item, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return null;
}

/**
 * Refuses a request whose parameters, query or body hold an unsafe character, naming where (never
 * echoing the text: it may be a name or a number).
 */
export async function refuseUnsafeText(request: { params: unknown; query: unknown; body: unknown }) {
  for (const [part, value] of [
    ['path', request.params],
    ['query', request.query],
    ['body', request.body],
  ] as const) {
    const field = findUnsafeText(value, '');
    if (field !== null) {
      throw new AppError(
        400,
        'invalid_text',
        `The ${part}${field ? ` field ${field}` : ''} holds a character no text may hold ` +
          '(NUL, a control character, a lone surrogate or a noncharacter).',
        field || undefined,
      );
    }
  }
}
