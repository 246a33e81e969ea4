import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HELP_WORDS,
  type IntentOptions,
  isReservedWord,
  NOCALL_WORDS,
  OPT_IN_WORDS,
  OPT_OUT_WORDS,
  parseIntent,
  withinOneEdit,
} from '../../src/sms/intent.js';

const options: IntentOptions = {
  campaignKeywords: ['MAGAMED', 'amnesty', 'FREE', 'STOPS'],
  joinKeywords: ['PROTEST', 'JOIN'],
};

const parse = (body: string) => parseIntent(body, options);

describe('parseIntent: opt-out', () => {
  it.each([
    'STOP',
    'stop',
    'Stop amnesty',
    'STOP AMNESTY',
    'stopall',
    'stop all',
    ' Stop. ',
    'Stop!',
    'unsubscribe',
    'Cancel',
    'END',
    'quit please',
    '"STOP"',
  ])('%j is an opt-out', (body) => {
    expect(parse(body)).toEqual({ kind: 'opt-out' });
  });

  it('treats every listed opt-out word as an opt-out', () => {
    for (const word of OPT_OUT_WORDS) expect(parse(word.toLowerCase())).toEqual({ kind: 'opt-out' });
  });

  it('does not treat STOP in the middle of a text as an opt-out', () => {
    expect(parse('Please do not stop')).toEqual({ kind: 'text', text: 'Please do not stop' });
  });

  it('does not read a word merely starting with STOP as an opt-out', () => {
    expect(parse('Stopping by')).toEqual({ kind: 'text', text: 'Stopping by' });
  });
});

describe('parseIntent: opt-in, help and nocall', () => {
  it.each(['START', 'start', 'Unstop', 'START again'])('%j is an opt-in', (body) => {
    expect(parse(body)).toEqual({ kind: 'opt-in' });
  });

  it.each(['YES', 'yes', 'Yes!', 'YES please'])('%j is a YES, which carries its text', (body) => {
    expect(parse(body)).toEqual({ kind: 'yes', text: body });
  });

  it('reads Twilio’s newer opt-out words, REVOKE and OPTOUT', () => {
    expect(parse('revoke')).toEqual({ kind: 'opt-out' });
    expect(parse('OptOut')).toEqual({ kind: 'opt-out' });
  });

  it('does not read a word starting with YES as one', () => {
    expect(parse('Yesterday')).toEqual({ kind: 'text', text: 'Yesterday' });
  });

  it.each(['HELP', 'HELP me', 'help?', 'Info'])('%j is help', (body) => {
    expect(parse(body)).toEqual({ kind: 'help' });
  });

  it.each(['nocall', 'NOCALL', 'NoCall thanks'])('%j is nocall', (body) => {
    expect(parse(body)).toEqual({ kind: 'nocall' });
  });

  it('exports the word lists in upper case', () => {
    for (const word of [...OPT_OUT_WORDS, ...OPT_IN_WORDS, ...HELP_WORDS, ...NOCALL_WORDS]) {
      expect(word).toBe(word.toUpperCase());
    }
  });
});

describe('parseIntent: join', () => {
  it('reads a source code glued to the join keyword and a name after it', () => {
    expect(parse('PROTEST15 Jane Smith')).toEqual({ kind: 'join', source: '15', name: 'Jane Smith' });
  });

  it('has no source or name for a bare join keyword, in any case', () => {
    expect(parse('join')).toEqual({ kind: 'join', source: null, name: null });
  });

  it('reads a name without a source', () => {
    expect(parse('Protest   Jane\n Smith ')).toEqual({ kind: 'join', source: null, name: 'Jane Smith' });
  });

  it('reads a source without a name', () => {
    expect(parse('protest007')).toEqual({ kind: 'join', source: '007', name: null });
  });

  it('does not read letters glued to the join keyword as a source', () => {
    expect(parse('JOINT')).toEqual({ kind: 'text', text: 'JOINT' });
  });
});

describe('parseIntent: campaign keywords', () => {
  it('matches exactly in any case and keeps the raw name', () => {
    expect(parse('magamed jane smith')).toEqual({
      kind: 'keyword',
      keyword: 'MAGAMED',
      exact: true,
      name: 'jane smith',
    });
  });

  it('returns the canonical upper-case spelling of a keyword listed in lower case', () => {
    expect(parse('Amnesty')).toEqual({ kind: 'keyword', keyword: 'AMNESTY', exact: true, name: null });
  });

  it('collapses whitespace inside the name', () => {
    expect(parse('MAGAMED  Jane \t  Smith')).toMatchObject({ name: 'Jane Smith' });
  });

  it.each([
    ['Magamd Jane', 'dropped letter', 'Jane'],
    ['MAGAMDE', 'swapped letters', null],
    ['MAGAMEDD', 'added letter', null],
    ['MAGAMEX', 'changed letter', null],
  ])('accepts %j (%s) as MAGAMED', (body, _why, name) => {
    expect(parse(body)).toEqual({ kind: 'keyword', keyword: 'MAGAMED', exact: false, name });
  });

  it('rejects two edits', () => {
    expect(parse('MAGMDE')).toEqual({ kind: 'text', text: 'MAGMDE' });
  });

  it('refuses a typo that is one edit from two keywords', () => {
    const ambiguous: IntentOptions = { campaignKeywords: ['FREEDOM', 'FREEDOT'], joinKeywords: ['JOIN'] };
    expect(parseIntent('FREEDOX Jane', ambiguous)).toEqual({ kind: 'text', text: 'FREEDOX Jane' });
    expect(parseIntent('FREEDOM Jane', ambiguous)).toEqual({
      kind: 'keyword',
      keyword: 'FREEDOM',
      exact: true,
      name: 'Jane',
    });
  });

  it('has no typo tolerance for keywords shorter than five letters', () => {
    expect(parse('FREE')).toEqual({ kind: 'keyword', keyword: 'FREE', exact: true, name: null });
    expect(parse('FRE Jane')).toEqual({ kind: 'text', text: 'FRE Jane' });
    expect(parse('FRE')).toEqual({ kind: 'text', text: 'FRE' });
  });

  it('lets reserved words win over keywords, exact or typo', () => {
    // STOPS is one edit from STOP, but STOP must still opt out.
    expect(parse('STOP')).toEqual({ kind: 'opt-out' });
    expect(parse('STOPS')).toEqual({ kind: 'keyword', keyword: 'STOPS', exact: true, name: null });
    const clash: IntentOptions = { campaignKeywords: ['START', 'PROTEST1'], joinKeywords: ['PROTEST'] };
    expect(parseIntent('START', clash)).toEqual({ kind: 'opt-in' });
    expect(parseIntent('PROTEST1 Jane', clash)).toEqual({ kind: 'join', source: '1', name: 'Jane' });
  });

  it('ignores leading spaces and newlines', () => {
    expect(parse('  \n\tMAGAMED Jane')).toMatchObject({ kind: 'keyword', keyword: 'MAGAMED', name: 'Jane' });
    expect(parse('\n\nstop')).toEqual({ kind: 'opt-out' });
  });

  it('ignores a zero-width space or bidi mark before the keyword', () => {
    expect(parse('\u200BMAGAMED Jane')).toMatchObject({ kind: 'keyword', keyword: 'MAGAMED', exact: true });
    expect(parse('\u200E\uFEFFSTOP')).toEqual({ kind: 'opt-out' });
    expect(parse('STO\u200BP')).toEqual({ kind: 'opt-out' });
  });

  it('folds fullwidth letters in the first word only', () => {
    expect(parse('ＭＡＧＡＭＥＤ Ｊａｎｅ')).toEqual({
      kind: 'keyword',
      keyword: 'MAGAMED',
      exact: true,
      name: 'Ｊａｎｅ',
    });
    expect(parse('ＳＴＯＰ')).toEqual({ kind: 'opt-out' });
  });

  it('keeps a Cyrillic name after a keyword', () => {
    expect(parse('MAGAMED Иван Петров')).toEqual({
      kind: 'keyword',
      keyword: 'MAGAMED',
      exact: true,
      name: 'Иван Петров',
    });
  });

  it('NFC-normalises the name', () => {
    expect(parse('MAGAMED Jose\u0301')).toMatchObject({ name: 'Jos\u00E9' });
  });

  it('strips punctuation around the keyword', () => {
    expect(parse('Magamed, Jane Smith')).toMatchObject({ keyword: 'MAGAMED', name: 'Jane Smith' });
  });
});

describe('parseIntent: text and empty', () => {
  it('returns the cleaned body as text', () => {
    expect(parse('  Jane\u200B Smith \n')).toEqual({ kind: 'text', text: 'Jane Smith' });
  });

  it.each(['', '   ', '\n\t', '\u200B\u200E', '\uFEFF '])('%j is empty', (body) => {
    expect(parse(body)).toEqual({ kind: 'empty' });
  });

  it('returns punctuation-only bodies as text', () => {
    expect(parse('?!')).toEqual({ kind: 'text', text: '?!' });
  });

  it('never throws and always returns a known kind for any string up to 1600 characters', () => {
    const kinds = new Set(['opt-out', 'opt-in', 'yes', 'help', 'nocall', 'join', 'keyword', 'text', 'empty']);
    const unit = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      // Lone surrogates: JS strings may carry them even though they are not valid Unicode.
      fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
      fc.constantFrom('STOP', 'PROTEST', 'MAGAMED', 'MAGAMD', ' ', '\n', '\u200B', '\u202E', 'Ｓ', '5', '.'),
    );
    fc.assert(
      fc.property(
        fc.string({ unit, maxLength: 1600 }).map((s) => s.slice(0, 1600)),
        (body) => {
          const intent = parse(body);
          expect(kinds.has(intent.kind)).toBe(true);
          if (intent.kind === 'keyword')
            expect(['MAGAMED', 'AMNESTY', 'FREE', 'STOPS']).toContain(intent.keyword);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('isReservedWord', () => {
  it.each([
    'STOP',
    'stop',
    'StopAll',
    'REVOKE',
    'optout',
    'START',
    'YES',
    'help',
    'INFO',
    'nocall',
    'JOIN',
    'protest',
    'PROTEST15',
  ])('%j is reserved', (word) => {
    expect(isReservedWord(word, ['PROTEST', 'JOIN'])).toBe(true);
  });

  it.each(['STOPS', 'MAGAMED', 'PROTESTS', 'JOINT', 'YESS', 'PROTEST15A'])('%j is not reserved', (word) => {
    expect(isReservedWord(word, ['PROTEST', 'JOIN'])).toBe(false);
  });
});

describe('withinOneEdit', () => {
  it.each([
    ['MAGAMED', 'MAGAMED'],
    ['MAGAMED', 'MAGAMD'],
    ['MAGAMD', 'MAGAMED'],
    ['MAGAMED', 'MAGAMEDD'],
    ['MAGAMED', 'MAGAMEX'],
    ['MAGAMED', 'MAGAMDE'],
    ['MAGAMED', 'AMGAMED'],
    ['', 'A'],
    ['ИВАН', 'ИВАНН'],
  ])('%j and %j are within one edit', (a, b) => {
    expect(withinOneEdit(a, b)).toBe(true);
  });

  it.each([
    ['MAGAMED', 'MAGMDE'],
    ['MAGAMED', 'MAGAM'],
    ['MAGAMED', 'AMGAMDE'],
    ['ABC', 'CBA'],
    ['magamed', 'MAGAMED'],
  ])('%j and %j are not within one edit', (a, b) => {
    expect(withinOneEdit(a, b)).toBe(false);
  });

  it('treats an astral character as one letter', () => {
    expect(withinOneEdit('A\u{1F600}B', 'AB')).toBe(true);
  });
});
