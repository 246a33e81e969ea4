import { describe, expect, it } from 'vitest';
import { targetLanguage } from '../../src/db/schema.js';
import { CATALOGUES, formatCount, message } from '../../src/fax/messages/index.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/gu)].map((match) => match[1]).sort();
const texts = (entry: unknown) => (typeof entry === 'string' ? [entry] : Object.values(entry as object));

describe('the message catalogues', () => {
  it('exist for every language a target can read, each with every key of every other', () => {
    expect(Object.keys(CATALOGUES).sort()).toEqual([...targetLanguage.enumValues].sort());
    const keys = Object.keys(CATALOGUES.en).sort();
    for (const [language, catalogue] of Object.entries(CATALOGUES)) {
      expect(Object.keys(catalogue).sort(), language).toEqual(keys);
      for (const key of keys) {
        for (const text of texts(catalogue[key as keyof typeof catalogue])) {
          expect(text, `${language}.${key}`).not.toBe('');
        }
      }
    }
  });

  it('fill in the same placeholders in every language, and give every plural form a language needs', () => {
    for (const [language, catalogue] of Object.entries(CATALOGUES)) {
      const forms = new Intl.PluralRules(catalogue.locale).resolvedOptions().pluralCategories;
      for (const key of Object.keys(CATALOGUES.en) as Array<keyof typeof catalogue>) {
        const english = placeholders(texts(CATALOGUES.en[key])[0] as string);
        const entry = catalogue[key];
        for (const text of texts(entry)) expect(placeholders(text), `${language}.${key}`).toEqual(english);
        if (typeof entry !== 'string')
          expect(Object.keys(entry).sort(), `${language}.${key}`).toEqual([...forms].sort());
      }
    }
  });

  it('write numbers one way within a language, and pick Russian plural forms by the count', () => {
    expect(formatCount('en', 3985)).toBe('3,985');
    expect(formatCount('en', 100_000)).toBe('100,000');
    expect(formatCount('ru', 3985)).toBe('3\u00a0985');
    expect(message('ru', 'signed', { count: 1, org: 'X' })).toMatch(/^Это письмо подписал 1 сторонник X;/u);
    expect(message('ru', 'signed', { count: 3, org: 'X' })).toMatch(/подписали 3 сторонника X;/u);
    expect(message('ru', 'signed', { count: 3985, org: 'X' })).toMatch(
      /подписали 3\u00a0985 сторонников X;/u,
    );
    expect(message('en', 'signed', { count: 1, org: 'X' })).toMatch(/signed by 1 supporter of X,/u);
  });
});
