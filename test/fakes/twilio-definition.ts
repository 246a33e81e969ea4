import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Twilio's own definition of the Message resource (test/fixtures/providers/twilio/messages.json, cut
 * from twilio/twilio-oai's api_v2010) and a small checker over it: what the fake accepts and answers
 * is held to it, and a test holds every request the product makes to it too.
 */
type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
};
type Parameter = { name: string; in: string; required?: boolean; schema: Schema };
type Operation = {
  parameters: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content: Record<string, { schema: Schema }> }>;
};

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/providers/twilio/messages.json'), 'utf8'),
) as {
  source: { repository: string; path: string; commit: string; infoVersion: string };
  paths: Record<string, { get: Operation; post: Operation }>;
  components: { schemas: Record<string, Schema> };
};

export const TWILIO_DEFINITION_SOURCE = fixture.source;
export const MESSAGES_PATH = '/2010-04-01/Accounts/{AccountSid}/Messages.json';
const messages = fixture.paths[MESSAGES_PATH] as { get: Operation; post: Operation };
const createBody = messages.post.requestBody?.content['application/x-www-form-urlencoded']?.schema as Schema;

/** The create's form parameters and the list's query filters, by name. */
export const CREATE_PARAMETERS: Record<string, Schema> = createBody.properties ?? {};
export const CREATE_REQUIRED: readonly string[] = createBody.required ?? [];
export const LIST_PARAMETERS: Record<string, Schema> = Object.fromEntries(
  messages.get.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p.schema]),
);
/** The message's statuses as Twilio lists them. */
export const MESSAGE_STATUSES = fixture.components.schemas.message_enum_status?.enum as readonly string[];

const schemaOf = (operation: Operation, status: string) =>
  operation.responses[status]?.content['application/json']?.schema as Schema;
export const SCHEMAS = {
  created: schemaOf(messages.post, '201'),
  list: schemaOf(messages.get, '200'),
  error: fixture.components.schemas['twilio.error'] as Schema,
};

const RFC_2822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;
/** E.164, a short code or an alphanumeric sender ID: what Twilio takes as a `phone-number`. */
const PHONE_NUMBER = /^(\+[1-9][0-9]{6,14}|[0-9]{3,8}|[A-Za-z0-9 ]{1,11})$/;

function formatProblem(format: string | undefined, value: string): string | null {
  switch (format) {
    case 'date-time-rfc-2822':
      return RFC_2822.test(value) ? null : 'is not an RFC 2822 date as Twilio writes them';
    case 'phone-number':
      return PHONE_NUMBER.test(value) ? null : 'is not a phone number';
    case 'uri':
      // Twilio's page URIs are relative to https://api.twilio.com.
      return value.startsWith('/') || URL.canParse(value) ? null : 'is not a URI';
    case 'currency':
      return /^[A-Za-z]{3}$/.test(value) ? null : 'is not a currency code';
    case 'date-time':
      return Number.isNaN(Date.parse(value)) ? 'is not a date' : null;
    default:
      return null;
  }
}

/**
 * Why `value` does not fit `schema` (empty when it does). Objects are closed: a property the definition
 * does not name is a problem, so a fake cannot answer with a field Twilio never sends.
 */
export function schemaProblems(schema: Schema, value: unknown, at = '$'): string[] {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = fixture.components.schemas[name];
    if (!target) return [`${at}: unknown schema ${name}`];
    return schemaProblems(target, value, at);
  }
  if (value === null) return schema.nullable ? [] : [`${at}: is null`];
  if (value === undefined) return [`${at}: is missing`];
  if (schema.enum && !schema.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} is not one of the enum`];
  switch (schema.type) {
    case 'string': {
      if (typeof value !== 'string') return [`${at}: is not a string`];
      const problems: string[] = [];
      if (schema.minLength !== undefined && value.length < schema.minLength)
        problems.push(`${at}: too short`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${at}: too long`);
      if (schema.pattern && !new RegExp(schema.pattern).test(value))
        problems.push(`${at}: does not match ${schema.pattern}`);
      const format = formatProblem(schema.format, value);
      if (format) problems.push(`${at}: ${format}`);
      return problems;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value)))
        return [`${at}: is not an ${schema.type}`];
      if (schema.minimum !== undefined && value < schema.minimum) return [`${at}: below ${schema.minimum}`];
      if (schema.maximum !== undefined && value > schema.maximum) return [`${at}: above ${schema.maximum}`];
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: is not a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: is not an array`];
      return value.flatMap((item, i) =>
        schema.items ? schemaProblems(schema.items, item, `${at}[${i}]`) : [],
      );
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: is not an object`];
      const record = value as Record<string, unknown>;
      if (!schema.properties) {
        // A map of URIs (subresource_uris): strings only.
        return Object.entries(record).flatMap(([key, inner]) =>
          typeof inner === 'string' ? [] : [`${at}.${key}: is not a string`],
        );
      }
      const problems = Object.keys(record)
        .filter((key) => !(key in (schema.properties ?? {})))
        .map((key) => `${at}.${key}: is not in Twilio's definition`);
      for (const key of schema.required ?? [])
        if (!(key in record)) problems.push(`${at}.${key}: is missing`);
      for (const [key, inner] of Object.entries(schema.properties)) {
        if (key in record) problems.push(...schemaProblems(inner, record[key], `${at}.${key}`));
      }
      return problems;
    }
    default:
      return [];
  }
}

/** A form or query value (always text on the wire) read as the schema's type. */
function fromWire(schema: Schema, value: string): unknown {
  const type = schema.$ref ? 'string' : schema.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

/**
 * Why a request's parameters (form fields of a create, query of a list) do not fit the definition:
 * each name one the operation lists, each value of its type, the required ones present.
 */
export function parameterProblems(
  known: Record<string, Schema>,
  required: readonly string[],
  params: URLSearchParams,
): string[] {
  const problems: string[] = [];
  for (const name of new Set(params.keys())) {
    const schema = known[name];
    if (!schema) {
      problems.push(`${name}: is not a parameter of this operation`);
      continue;
    }
    const values = params.getAll(name);
    if (values.length > 1 && schema.type !== 'array') problems.push(`${name}: given ${values.length} times`);
    const itemSchema = schema.type === 'array' ? (schema.items ?? {}) : schema;
    for (const value of values)
      problems.push(...schemaProblems(itemSchema, fromWire(itemSchema, value), name));
  }
  for (const name of required) if (!params.has(name)) problems.push(`${name}: is required`);
  return problems;
}
