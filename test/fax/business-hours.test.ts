import { describe, expect, it } from 'vitest';
import { nextBusinessInstant } from '../../src/fax/business-hours.js';

const weekdays = { days: [1, 2, 3, 4, 5], start: 9 * 60, end: 18 * 60 };

describe('the next instant a fax may be sent', () => {
  it('is now inside the window, in the target timezone', () => {
    // 10:00 in Moscow (UTC+3) on Monday.
    const at = new Date('2026-11-23T07:00:00Z');
    expect(nextBusinessInstant(at, weekdays, 'Europe/Moscow')).toEqual(at);
  });

  it('is 09:00 the same day before the window opens', () => {
    expect(nextBusinessInstant(new Date('2026-11-23T04:00:00Z'), weekdays, 'Europe/Moscow')).toEqual(
      new Date('2026-11-23T06:00:00Z'),
    );
  });

  it('is the next working morning after the window closes, skipping the weekend', () => {
    // Friday 19:00 in Moscow → Monday 09:00 in Moscow.
    expect(nextBusinessInstant(new Date('2026-11-27T16:00:00Z'), weekdays, 'Europe/Moscow')).toEqual(
      new Date('2026-11-30T06:00:00Z'),
    );
  });

  it('follows the target timezone across a daylight-saving change', () => {
    // Saturday 28 March 2026 in London; Monday 30 March is BST (UTC+1).
    expect(nextBusinessInstant(new Date('2026-03-28T12:00:00Z'), weekdays, 'Europe/London')).toEqual(
      new Date('2026-03-30T08:00:00Z'),
    );
  });

  it('is any time when business hours are off', () => {
    const at = new Date('2026-11-29T03:00:00Z');
    expect(nextBusinessInstant(at, null, 'Europe/Moscow')).toEqual(at);
  });
});
