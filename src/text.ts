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

/**
 * The path of the first string (or property name) in `value` holding an unsafe character, or null.
 * Walks parsed JSON and forms only (plain objects, arrays, strings), without recursion, so that no
 * nesting is too deep for it; a stream handed over unread is not looked into.
 */
export function findUnsafeText(value: unknown, path: string): string | null {
  const pending: Array<[unknown, string]> = [[value, path]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, at] = next;
    if (typeof item === 'string') {
      if (UNSAFE_CHARACTER.test(item)) return at;
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) pending.push([item[i], `${at}[${i}]`]);
    } else if (item !== null && typeof item === 'object' && isPlain(item)) {
      for (const [key, child] of Object.entries(item).reverse()) {
        if (UNSAFE_CHARACTER.test(key)) return at;
        pending.push([child, at ? `${at}.${key}` : key]);
      }
    }
  }
  return null;
}

/** A plain object, or one of the prototype-less dictionaries that form parsers make (not a stream). */
function isPlain(object: object): boolean {
  const prototype = Object.getPrototypeOf(object);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
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
