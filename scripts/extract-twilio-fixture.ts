/**
 * Writes test/fixtures/providers/twilio/messages.json: the part of Twilio's OpenAPI description
 * (github.com/twilio/twilio-oai, spec/json/twilio_api_v2010.json) that the product relies on, the
 * Message resource's create and list, with its source's commit and version. Tests read only the
 * fixture; this is run by hand when Twilio's definition moves on:
 *
 *   npx tsx scripts/extract-twilio-fixture.ts <a clone of twilio/twilio-oai>
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SPEC = 'spec/json/twilio_api_v2010.json';
/** api_v2010 describes no error body; this file's `Error` is the shape every Twilio API answers with. */
const ERROR_SPEC = 'spec/json/twilio_oauth_v2.json';
const MESSAGES = '/2010-04-01/Accounts/{AccountSid}/Messages.json';

type Json = Record<string, unknown>;

const repo = process.argv[2];
if (!repo) throw new Error('usage: extract-twilio-fixture.ts <twilio-oai clone (or bare repo)>');
const git = (...args: string[]) =>
  execFileSync('git', ['-C', repo, ...args], { maxBuffer: 1 << 28 }).toString();
const commit = git('log', '-1', '--format=%H').trim();
const spec = JSON.parse(git('show', `HEAD:${SPEC}`)) as Json;
const errorSpec = JSON.parse(git('show', `HEAD:${ERROR_SPEC}`)) as Json;
const schemas = (spec.components as Json).schemas as Json;

/** Drops what says nothing about what goes over the wire (examples, CORS headers). */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'examples' || key === 'example' || key === 'headers' || key === 'x-twilio') continue;
    out[key] = strip(inner);
  }
  return out;
}

/** Every schema name `value` refers to, transitively. */
function refsOf(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) refsOf(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') {
        const name = inner.replace('#/components/schemas/', '');
        if (!found.has(name)) {
          found.add(name);
          refsOf(schemas[name], found);
        }
      } else refsOf(inner, found);
    }
  }
  return found;
}

const path = (spec.paths as Json)[MESSAGES] as Json;
const operations = { get: strip(path.get), post: strip(path.post) };
const used = [...refsOf(operations)].sort();
const errorSchema = ((errorSpec.components as Json).schemas as Json).Error;

const fixture = {
  source: {
    repository: 'https://github.com/twilio/twilio-oai',
    path: SPEC,
    commit,
    infoVersion: (spec.info as Json).version,
    openapi: spec.openapi,
    extracted: `paths["${MESSAGES}"] (get, post) and the schemas they refer to`,
    error: {
      path: ERROR_SPEC,
      schema: 'components.schemas.Error',
      why: 'api_v2010 describes no error body; this is the shape Twilio answers with (code, message, more_info, status), which the twilio package reads (lib/base/RestException.js)',
    },
  },
  paths: { [MESSAGES]: operations },
  components: {
    schemas: {
      ...Object.fromEntries(used.map((name) => [name, strip(schemas[name])])),
      'twilio.error': strip(errorSchema),
    },
    securitySchemes: (spec.components as Json).securitySchemes,
  },
};

const out = join(import.meta.dirname, '../test/fixtures/providers/twilio');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'messages.json'), `${JSON.stringify(fixture, null, 2)}\n`);
console.log(`wrote ${used.length} schemas from ${commit}`);
