import { describe, expect, it } from 'vitest';
import { composeBroadcast, describeCharacter, smartEncode } from '../../src/broadcasts/compose.js';
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

describe('smart encoding', () => {
  const hint = 'Text STOP AMNESTY to opt out';

  it('turns curly quotes, dashes, ellipses and odd spaces into their GSM-7 equivalents', () => {
    const typed = '\u201CWe\u2019re free\u201D \u2014 she said\u2026 on 12\u00A0Dec \u2013 thank\u200B you';
    const { text, replaced } = smartEncode(typed);
    expect(text).toBe('"We\'re free" - she said... on 12 Dec - thank you');
    expect(replaced).toEqual([
      { from: '\u201C', to: '"', count: 1 },
      { from: '\u2019', to: "'", count: 1 },
      { from: '\u201D', to: '"', count: 1 },
      { from: '\u2014', to: '-', count: 1 },
      { from: '\u2026', to: '...', count: 1 },
      { from: '\u00A0', to: ' ', count: 1 },
      { from: '\u2013', to: '-', count: 1 },
      { from: '\u200B', to: '', count: 1 },
    ]);
  });

  it('halves the price of a text whose only non-GSM character is a curly apostrophe', () => {
    // 120 characters: one GSM-7 segment, but two UCS-2 segments with the apostrophe kept.
    const body = `Thank you \u2013 the fax went today and we\u2019ll tell you when they answer.`;
    const smart = composeBroadcast(body, hint);
    expect(smart).toMatchObject({ encoding: 'GSM-7', segments: 1, unicode: [] });
    expect(smart.text).toBe(`Thank you - the fax went today and we'll tell you when they answer.\n${hint}`);
    const kept = composeBroadcast(body, hint, { smartEncoding: false });
    expect(kept).toMatchObject({
      encoding: 'UCS-2',
      segments: 2,
      replaced: [],
      unicode: ['\u2013', '\u2019'],
    });
    expect(kept.text.startsWith(body)).toBe(true);
  });

  it('leaves letters and GSM-7 text alone, and says what still needs UCS-2', () => {
    expect(smartEncode('Tomás García, Zoë, café £5 €2 {ok}')).toEqual({
      text: 'Tomás García, Zoë, café £5 €2 {ok}',
      replaced: [],
    });
    const russian = composeBroadcast('Спасибо \u2014 факс ушёл', hint);
    expect(russian.encoding).toBe('UCS-2');
    expect(russian.text.startsWith('Спасибо - факс ушёл')).toBe(true);
    expect(russian.unicode).toContain('С');
    const emoji = composeBroadcast('Well done \u{1F600}', hint);
    expect(emoji.unicode).toEqual(['\u{1F600}']);
  });

  it('names invisible characters by their code point', () => {
    expect(describeCharacter('\u00A0')).toBe('U+00A0');
    expect(describeCharacter('\u200B')).toBe('U+200B');
    expect(describeCharacter('\u2019')).toBe('\u2019');
    expect(describeCharacter('')).toBe('nothing');
    expect(describeCharacter(' ')).toBe('a space');
  });
});
