import { AppError } from '../errors.js';

/** Lists are `{ items, nextCursor }`; a cursor is the opaque form of the last id seen. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function decodeCursor(cursor: string | undefined): number | null {
  if (!cursor) return null;
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id < 0)
    throw new AppError(400, 'invalid_cursor', 'That cursor is not one we gave.');
  return id;
}

/** `rows` fetched with limit + 1, ordered by id: the extra row only tells that there is more. */
export function toPage<T extends { id: number | string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor =
    rows.length > limit && last !== undefined ? Buffer.from(String(last.id)).toString('base64url') : null;
  return { items, nextCursor };
}
