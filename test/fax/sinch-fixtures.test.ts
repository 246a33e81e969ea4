import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The fixtures under test/fixtures/providers/sinch/ were taken from sinch/sinch-sdk-node; here they are
 * held to the client installed with the product (@sinch/fax 1.4.0's type definitions), so that a fixture
 * (and the fake built from it) cannot drift from what the client says Sinch takes and answers.
 */
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/providers/sinch/${name}.json`, import.meta.url), 'utf8'));
const models = new URL('../../node_modules/@sinch/fax/dist/models/v3/', import.meta.url);
const definition = (path: string) => readFileSync(new URL(path, models), 'utf8');
/** The property names declared at the first level of an interface's body (`name?:` or `name:`). */
function properties(source: string, from: string, to?: string): Set<string> {
  const start = source.indexOf(from);
  const body = source.slice(start, to ? source.indexOf(to, start) : undefined);
  return new Set([...body.matchAll(/^ {4}'?(\w+)'?\??:/gmu)].map((match) => match[1] as string));
}

describe("the Sinch fixtures, against the installed client's definitions", () => {
  it('names the version of the client installed', () => {
    const installed = JSON.parse(
      readFileSync(new URL('../../node_modules/@sinch/fax/package.json', import.meta.url), 'utf8'),
    ).version;
    for (const name of ['fax', 'send', 'list', 'callback', 'errors']) {
      expect(JSON.stringify(fixture(name).source)).toContain(`@sinch/fax ${installed}`);
    }
  });

  it("lists the Fax model's fields, no more, no fewer", () => {
    const fields = properties(definition('fax/fax.d.ts'), 'export interface Fax');
    expect(new Set(Object.keys(fixture('fax').fields))).toEqual(fields);
  });

  it("lists the JSON send's fields, no more, no fewer", () => {
    const source = definition('fax-request/fax-request.d.ts');
    const fields = new Set([
      ...properties(source, 'export interface FaxRequestBase', 'export type FaxRequestJson'),
      'files',
      'to',
    ]);
    expect(new Set(Object.keys(fixture('send').fields))).toEqual(fields);
  });

  it("lists the list call's filters, no more, no fewer", () => {
    const source = definition('requests/faxes/faxes-request-data.d.ts');
    const filters = properties(source, 'export interface ListFaxesRequestData', 'export interface Send');
    // The client turns its `createTimeRange` into the two bounds it sends (rest/v3/faxes/faxes-api.js).
    filters.delete('createTimeRange');
    expect(new Set(fixture('list').query)).toEqual(new Set([...filters, 'createTime>', 'createTime<']));
  });

  it("keeps Sinch's error lists as the client has them", () => {
    const errors = fixture('errors');
    for (const [type, path] of [
      ['CALL_ERROR', 'errors/call-error/call-error.js'],
      ['FAX_ERROR', 'errors/fax-error/fax-error.js'],
      ['DOCUMENT_CONVERSION_ERROR', 'errors/document-conversion-error/document-conversion-error.js'],
    ] as const) {
      const source = definition(path);
      for (const { code, message } of errors[type]) {
        expect(source, `${type} ${code}`).toContain(`${code}: '${message.replaceAll("'", "\\'")}'`);
      }
    }
  });
});
