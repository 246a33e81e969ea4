import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { findUnsafeText } from '../src/text.js';

describe('findUnsafeText', () => {
  it('names the first field holding NUL, a control character, a lone surrogate or a noncharacter', () => {
    expect(findUnsafeText({ title: 'ok', targets: [{ name: 'Judge\u0000' }] }, '')).toBe('targets[0].name');
    expect(findUnsafeText(['fine', '\uD800'], 'body')).toBe('body[1]');
    expect(findUnsafeText({ a: { b: 'x\uFFFF' } }, '')).toBe('a.b');
    expect(findUnsafeText({ 'key\u0007': 'value' }, '')).toBe('');
    expect(findUnsafeText({ text: 'Tab\tand\r\nbreaks, 😀, Жанна' }, '')).toBeNull();
  });

  it('reads the dictionaries form parsers make, but never looks into a stream', () => {
    const form = Object.assign(Object.create(Object.create(null)), { email: 'a\u0000' });
    expect(findUnsafeText(form, '')).toBe('email');
    const stream = new PassThrough();
    Object.assign(stream, { self: stream, text: '\u0000' });
    expect(findUnsafeText(stream, '')).toBeNull();
  });

  it('copes with any depth of nesting', () => {
    let deep: unknown = '\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnsafeText(deep, '')).toMatch(/^(\[0\]){100000}$/);
  });
});
