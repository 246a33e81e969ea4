import { describe, expect, it } from 'vitest';
import { moderationKey, moderationReason } from '../../src/supporters/moderation.js';
import lists from '../../src/supporters/moderation-names.json' with { type: 'json' };
import { checkName, HOLD_REASONS } from '../../src/supporters/names.js';
import { realisticNames } from '../fax/realistic-names.js';

function holdFor(raw: string) {
  const result = checkName(raw);
  if (!result.ok) throw new Error(`expected "${raw}" to be accepted, got ${result.problem}`);
  return result.hold;
}

describe('joke and test names are held with their reason', () => {
  it.each([
    ['Mickey Mouse', 'fictional-character'],
    ['mickey mouse', 'fictional-character'],
    ['MICKEY-MOUSE', 'fictional-character'],
    ['Mouse Mickey', 'fictional-character'],
    ['Donald Duck', 'fictional-character'],
    ['Harry Potter', 'fictional-character'],
    ['Darth Vader', 'fictional-character'],
    ['Чебурашка', 'fictional-character'],
    ['Test Test', 'placeholder-name'],
    ['Asdf', 'placeholder-name'],
    ['John Doe', 'placeholder-name'],
    ['Foo Bar', 'placeholder-name'],
    ['Тест Тестов', 'placeholder-name'],
    ['Aa Aa', 'repeated-words'],
    ['Jane Jane Jane', 'repeated-words'],
    ['Xxxx Smith', 'repeated-words'],
    ['😀 Happy Face', 'symbols'],
    ['Jane ★ Smith', 'symbols'],
    ['Ann ♥ Lee', 'symbols'],
    ['Bob © Brown', 'symbols'],
  ])('%s → %s', (name, reason) => {
    expect(holdFor(name)).toBe(reason);
  });

  it('has words for every reason staff will read', () => {
    for (const reason of ['fictional-character', 'placeholder-name', 'repeated-words', 'symbols'] as const) {
      expect(HOLD_REASONS[reason]).toMatch(/\w/);
    }
  });

  it('holds every name on the lists, whatever its case', () => {
    for (const name of [...lists.fictional, ...lists.placeholder]) {
      expect(moderationReason(name.toUpperCase()), name).not.toBeNull();
    }
  });

  it('folds accents, case and punctuation into one key', () => {
    expect(moderationKey('  Mickéy-MOUSE! ')).toBe('mickey mouse');
    expect(moderationKey('Ёжик')).toBe(moderationKey('ежик'));
  });
});

describe('real names pass', () => {
  it.each([
    'Jane Smith',
    "Siobhán O'Neill",
    'Mary-Jane Watson-Lee',
    'J. R. Hartley',
    'Анна Каренина-Петрова',
    'Nguyễn Thị Minh Khai',
    'Ἀλέξανδρος Παπαδόπουλος',
    'Jean‐Luc d’Arcy',
    'Ivan Ivanov',
    'Maria Mouse',
    'Donald Smith',
    'Harry Wood',
  ])('%s', (name) => {
    expect(holdFor(name)).toBeNull();
  });

  it('holds none of the realistic names the fax tests use', () => {
    const held = realisticNames(2000).filter((name) => moderationReason(name) !== null);
    expect(held).toEqual([]);
  });
});
