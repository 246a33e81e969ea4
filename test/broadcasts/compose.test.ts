import { describe, expect, it } from 'vitest';
import { composeBroadcast } from '../../src/broadcasts/compose.js';
import { inWindow, quietHoursWait } from '../../src/broadcasts/quiet-hours.js';

const NIGHT = { start: 21 * 60, end: 8 * 60 };
const MINUTE = 60_000;

describe('quietHoursWait (UK time)', () => {
  it('is zero in the daytime and when quiet hours are off', () => {
    expect(quietHoursWait(new Date('2026-01-15T12:00:00Z'), NIGHT)).toBe(0);
    expect(quietHoursWait(new Date('2026-01-15T23:00:00Z'), null)).toBe(0);
    expect(quietHoursWait(new Date('2026-01-15T20:59:59Z'), NIGHT)).toBe(0);
    expect(quietHoursWait(new Date('2026-01-15T08:00:00Z'), NIGHT)).toBe(0);
  });

  it('waits until the window ends, across midnight', () => {
    expect(quietHoursWait(new Date('2026-01-15T21:00:00Z'), NIGHT)).toBe(11 * 60 * MINUTE);
    expect(quietHoursWait(new Date('2026-01-16T07:59:30Z'), NIGHT)).toBe(30_000);
    expect(quietHoursWait(new Date('2026-01-16T02:15:00Z'), NIGHT)).toBe((5 * 60 + 45) * MINUTE);
  });

  it('reads the clock in UK time, British Summer Time included', () => {
    // 20:30 UTC in July is 21:30 in London.
    expect(quietHoursWait(new Date('2026-07-15T20:30:00Z'), NIGHT)).toBe((10 * 60 + 30) * MINUTE);
    // 07:30 UTC in July is 08:30 in London: texts may go.
    expect(quietHoursWait(new Date('2026-07-16T07:30:00Z'), NIGHT)).toBe(0);
  });

  it('handles windows within one day and empty windows', () => {
    expect(inWindow(13 * 60, { start: 12 * 60, end: 14 * 60 })).toBe(true);
    expect(inWindow(14 * 60, { start: 12 * 60, end: 14 * 60 })).toBe(false);
    expect(inWindow(600, { start: 600, end: 600 })).toBe(false);
  });
});

describe('composeBroadcast', () => {
  const hint = 'Text STOP AMNESTY to opt out';

  it('appends the opt-out hint on its own line when the body lacks it', () => {
    expect(composeBroadcast('  Sign now: text PROTEST15 and your name  ', hint).text).toBe(
      `Sign now: text PROTEST15 and your name\n${hint}`,
    );
  });

  it('leaves a body that already carries the hint, whatever its case', () => {
    const body = 'Thank you! text stop amnesty to opt out';
    expect(composeBroadcast(body, hint).text).toBe(body);
  });

  it('counts segments after appending the hint', () => {
    const body = 'a'.repeat(150);
    expect(composeBroadcast(body, hint)).toMatchObject({ segments: 2, encoding: 'GSM-7' });
    expect(composeBroadcast('Привет', hint)).toMatchObject({ segments: 1, encoding: 'UCS-2' });
  });
});
