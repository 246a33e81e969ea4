import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventOf } from '../../src/fax/providers/sinch.js';
import { SINCH_FAILURE_TABLE, sinchFailure } from '../../src/fax/providers/sinch-failures.js';

const lists: Record<string, Array<{ code: number; message: string }>> = JSON.parse(
  readFileSync(new URL('../fixtures/providers/sinch/errors.json', import.meta.url), 'utf8'),
);
const LISTED = ['CALL_ERROR', 'FAX_ERROR', 'DOCUMENT_CONVERSION_ERROR'] as const;
const message = (type: string, code: number) => lists[type]?.find((entry) => entry.code === code)?.message;

describe("Sinch's failures, by type and code", () => {
  it('has a next step for every code Sinch lists, and for no code it does not', () => {
    for (const type of LISTED) {
      const codes = (lists[type] ?? []).map((entry) => entry.code).sort((a, b) => a - b);
      expect(codes.length).toBeGreaterThan(5);
      const table = Object.keys(SINCH_FAILURE_TABLE[type] ?? {})
        .map(Number)
        .sort((a, b) => a - b);
      expect(table, type).toEqual(codes);
    }
  });

  it.each([
    ['CALL_ERROR', 49, 'invalid-number'],
    ['CALL_ERROR', 34, 'invalid-number'],
    ['CALL_ERROR', 17, 'busy'],
    ['CALL_ERROR', 15, 'busy'],
    ['CALL_ERROR', 16, 'no-answer'],
    ['FAX_ERROR', 48, 'no-answer'],
    ['FAX_ERROR', 132, 'not-a-fax'],
    ['CALL_ERROR', 32, 'not-a-fax'],
    ['FAX_ERROR', 29, 'line'],
    ['FAX_ERROR', 131, 'line'],
    ['FAX_ERROR', 46, 'blocked'],
    ['FAX_ERROR', 133, 'blocked'],
    ['DOCUMENT_CONVERSION_ERROR', 133, 'blocked'],
    ['DOCUMENT_CONVERSION_ERROR', 129, 'blocked'],
  ] as const)('%s %i (%s) leads to %s', (type, code, kind) => {
    expect(message(type, code)).toBeTruthy();
    expect(sinchFailure(type, code)).toEqual({ kind, known: true });
  });

  it("reads the code, never the message: Sinch's wording of a dead number is not a line fault", () => {
    const fax = (errorType: string, errorCode: number) => ({
      id: 'f1',
      status: 'FAILURE' as const,
      errorType,
      errorCode,
      errorMessage: message(errorType, errorCode) as string,
    });
    expect(eventOf(fax('CALL_ERROR', 49))).toMatchObject({
      kind: 'invalid-number',
      message: 'The destination phone number Is Not active (CALL_ERROR 49)',
    });
    // "Invalid response …" is a glitch on a working machine, not an invalid number.
    expect(eventOf(fax('FAX_ERROR', 29))).toMatchObject({ kind: 'line' });
  });

  it('takes an unknown type or code for a fault to retry on the same number, and says it is unknown', () => {
    expect(sinchFailure('FAX_ERROR', 999)).toEqual({ kind: 'other', known: false });
    expect(sinchFailure('GENERAL_ERROR', 1)).toEqual({ kind: 'other', known: false });
    expect(sinchFailure(undefined, undefined)).toEqual({ kind: 'other', known: false });
    expect(sinchFailure('LINE_ERROR', 3)).toEqual({ kind: 'line', known: true });
  });
});
