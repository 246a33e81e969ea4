import { describe, expect, it } from 'vitest';
import { typedNumber } from '../../src/console/updates.js';
import { countdown } from '../../src/console/views/dashboard.js';
import { money, people } from '../../src/console/views/updates.js';

const MINUTE = 60_000;

describe('countdown', () => {
  it('says how long is left in days and hours, hours and minutes, or minutes', () => {
    expect(countdown((2 * 24 + 5) * 60 * MINUTE + 30_000)).toBe('2 d 5 h');
    expect(countdown(3 * 24 * 60 * MINUTE)).toBe('3 d');
    expect(countdown((5 * 60 + 12) * MINUTE)).toBe('5 h 12 min');
    expect(countdown(60 * MINUTE)).toBe('1 h');
    expect(countdown(12 * MINUTE + 59_000)).toBe('12 min');
    expect(countdown(59_000)).toBe('less than a minute');
    expect(countdown(0)).toBe('passed');
    expect(countdown(-5 * MINUTE)).toBe('passed');
  });
});

describe('the confirm step’s words and numbers', () => {
  it('reads a typed audience size with or without thousands separators, and nothing else', () => {
    expect(typedNumber('20312')).toBe(20_312);
    expect(typedNumber(' 20,312 ')).toBe(20_312);
    expect(typedNumber('20 312')).toBe(20_312);
    expect(typedNumber('20.312')).toBe(20_312);
    expect(typedNumber('')).toBeUndefined();
    expect(typedNumber('twenty')).toBeUndefined();
    expect(typedNumber('-5')).toBeUndefined();
    expect(typedNumber('1e5')).toBeUndefined();
  });

  it('counts people and shows costs in the configured currency', () => {
    expect(people(1)).toBe('1 person');
    expect(people(0)).toBe('0 people');
    expect(people(20_312)).toBe('20,312 people');
    expect(money(812.48, 'GBP')).toBe('£812.48');
    expect(money(0.2, 'EUR')).toBe('€0.20');
    expect(money(3, 'USD')).toBe('US$3.00');
  });
});
