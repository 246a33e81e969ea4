import { describe, expect, it } from 'vitest';
import { fromLocalInput, toLocalInput } from '../src/time.js';

describe('a date and time field on an organisation’s clock', () => {
  it('reads what a clock in the zone shows as the instant in UTC, either side of summer time', () => {
    expect(fromLocalInput('2026-12-01T18:00', 'Europe/London')?.toISOString()).toBe(
      '2026-12-01T18:00:00.000Z',
    );
    expect(fromLocalInput('2026-07-01T18:00', 'Europe/London')?.toISOString()).toBe(
      '2026-07-01T17:00:00.000Z',
    );
    expect(fromLocalInput('2026-07-01 18:00', 'Europe/Moscow')?.toISOString()).toBe(
      '2026-07-01T15:00:00.000Z',
    );
  });

  it('shows an instant back as the same text', () => {
    const at = new Date('2026-07-01T17:00:00Z');
    expect(toLocalInput(at, 'Europe/London')).toBe('2026-07-01T18:00');
    expect(fromLocalInput(toLocalInput(at, 'Asia/Kolkata'), 'Asia/Kolkata')?.getTime()).toBe(at.getTime());
  });

  it('refuses what is no date and time, or a day the month does not have', () => {
    for (const text of [
      '',
      'tomorrow',
      '2026-02-30T10:00',
      '2026-13-01T10:00',
      '2026-01-01T24:00',
      '2026-01-01',
    ]) {
      expect(fromLocalInput(text, 'Europe/London'), text).toBeNull();
    }
  });
});
