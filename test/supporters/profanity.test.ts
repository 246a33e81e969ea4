import fc from 'fast-check';
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import { describe, expect, it } from 'vitest';
import { prefilteredHasMatch } from '../../src/supporters/profanity.js';

function englishMatcher() {
  return new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
}

/** Profane, disguised, whitelisted and clean texts: where the two answers could part. */
const SAMPLES = [
  'fuck',
  'F U C K',
  'fuuuuuck you',
  'sh1t',
  'b1tch',
  '@sshole',
  'a$$hole',
  'Ｆｕｃｋ',
  'cunt',
  'Dick',
  'Dickson',
  'Scunthorpe',
  'Penistone',
  'assassin',
  'cocktail',
  'Jane Smith',
  'Семён Иванов',
  'Nguyễn Thị Bích',
  '',
];

const looksLikeWords = fc.string({
  unit: fc.constantFrom(...'abcdefghiklmnorstuwy0134$@ .-'.split('')),
  maxLength: 30,
});

describe('prefilteredHasMatch', () => {
  it("gives obscenity's own answer for profane, disguised, whitelisted and clean texts", () => {
    const matcher = englishMatcher();
    const hasMatch = prefilteredHasMatch(matcher);
    for (const text of SAMPLES) expect(hasMatch(text), text).toBe(matcher.hasMatch(text));
    expect(SAMPLES.filter(hasMatch).length).toBeGreaterThan(5);
  });

  it("gives obscenity's own answer for any text", () => {
    const matcher = englishMatcher();
    const hasMatch = prefilteredHasMatch(matcher);
    fc.assert(
      fc.property(fc.oneof(looksLikeWords, fc.string({ unit: 'grapheme', maxLength: 60 })), (text) => {
        expect(hasMatch(text)).toBe(matcher.hasMatch(text));
      }),
      { numRuns: 3_000 },
    );
  });

  it('leaves a clean text to the joined expression alone: the installed obscenity keeps the patterns it reads', () => {
    const matcher = englishMatcher();
    let fullChecks = 0;
    const original = matcher.hasMatch.bind(matcher);
    matcher.hasMatch = (text: string) => {
      fullChecks++;
      return original(text);
    };
    const hasMatch = prefilteredHasMatch(matcher);
    expect(hasMatch('Jane Smith')).toBe(false);
    expect(hasMatch('Supporter Number Q')).toBe(false);
    expect(fullChecks).toBe(0);
    expect(hasMatch('fuck')).toBe(true);
    expect(fullChecks).toBe(1);
  });
});
