import type { FastifyTypeProvider } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';

/** Shared pieces of the staff API's route schemas (OpenAPI at /docs is generated from them). */

export const IdParams = Type.Object({
  id: Type.String({ pattern: '^[0-9]{1,18}$', description: 'Numeric id' }),
});

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

export const CursorQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/** Ids are strings in the API, whatever their type in the database. */
export const Id = Type.String();
export const Timestamp = Type.String({ format: 'date-time' });
/**
 * `nullable: true` rather than a union with null: the serialiser then still turns numeric ids into
 * strings and Dates into ISO text (a union makes it check the value against each branch instead).
 */
export const Nullable = <T extends TSchema>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });

/**
 * Requests are typed from their schemas. Responses are serialised by their schemas (numeric ids and
 * Dates become strings there) but not typed, since rows carry numbers and Dates.
 */
export interface TypeBoxRequests extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: unknown;
}
