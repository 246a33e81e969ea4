// Message catalogues, one file a language: the fixed parts of the fax and of the e-mail in the target's
// language. Pure data and a lookup; the keys are English's, and every other catalogue has them all.
import type { TargetLanguage } from '../../db/types.js';
import { type Catalogue, en, type Message } from './en.js';
import { ru } from './ru.js';

export type MessageKey = {
  [K in keyof Catalogue]: K extends 'locale' | 'digitGroup' ? never : K;
}[keyof Catalogue];

export const CATALOGUES: Record<TargetLanguage, Catalogue> = { en, ru };

/** The BCP 47 locale dates are written in. */
export const localeOf = (language: TargetLanguage) => CATALOGUES[language].locale;

const plurals = new Map<string, Intl.PluralRules>();

/** Groups the digits of a whole number with the language's separator: 3,985 or 3 985, everywhere alike. */
export function formatCount(language: TargetLanguage, n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/gu, CATALOGUES[language].digitGroup);
}

/**
 * The message `key` in `language` with its {placeholders} filled in; a plural message picks its form by
 * `count`. Numbers given are formatted with formatCount.
 */
export function message(
  language: TargetLanguage,
  key: MessageKey,
  values: Record<string, string | number> = {},
): string {
  const catalogue = CATALOGUES[language];
  const entry: Message = catalogue[key];
  let text: string;
  if (typeof entry === 'string') text = entry;
  else {
    const locale = catalogue.locale;
    let rules = plurals.get(locale);
    if (!rules) {
      rules = new Intl.PluralRules(locale);
      plurals.set(locale, rules);
    }
    const category = rules.select(Number(values.count ?? 0));
    text = entry[category] ?? entry.other ?? '';
  }
  return text.replace(/\{(\w+)\}/gu, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatCount(language, value) : value;
  });
}
