import { describe, expect, it } from 'vitest';
import { countSegments } from '../../src/sms/segments.js';

describe('countSegments', () => {
  it('fits 160 GSM-7 characters in one segment and splits longer texts into parts of 153', () => {
    expect(countSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(countSegments('a'.repeat(306)).segments).toBe(2);
    expect(countSegments('a'.repeat(307)).segments).toBe(3);
  });

  it('counts the GSM extension characters twice', () => {
    expect(countSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSegments(`${'a'.repeat(159)}€`)).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(countSegments('[]{}~^|\\').units).toBe(16);
  });

  it('never splits an extension character between two parts', () => {
    // 152 plain septets then "€": 154 septets do not fit the first part of 153.
    const text = `${'a'.repeat(152)}€${'a'.repeat(152)}`;
    expect(countSegments(text)).toEqual({ encoding: 'GSM-7', units: 306, segments: 3 });
  });

  it('keeps the accented letters of the GSM alphabet in GSM-7', () => {
    expect(countSegments('Café £5 — no').encoding).toBe('UCS-2');
    expect(countSegments('Café Müller £5 ¿Qué? à ñ').encoding).toBe('GSM-7');
  });

  it('switches to UCS-2 for other characters: 70 per segment, 67 per part', () => {
    expect(countSegments('ł'.repeat(70))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(countSegments('ł'.repeat(71))).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 });
    expect(countSegments('ł'.repeat(134)).segments).toBe(2);
    expect(countSegments('ł'.repeat(135)).segments).toBe(3);
    expect(countSegments('Привет').encoding).toBe('UCS-2');
  });

  it('counts an emoji as two UCS-2 units and keeps its halves together', () => {
    expect(countSegments('✊🏽')).toEqual({ encoding: 'UCS-2', units: 3, segments: 1 });
    const text = `${'a'.repeat(66)}😀${'a'.repeat(10)}`;
    expect(countSegments(text)).toEqual({ encoding: 'UCS-2', units: 78, segments: 2 });
    expect(countSegments(`${'a'.repeat(66)}😀${'a'.repeat(66)}`).segments).toBe(3);
  });

  it('gives no segment to an empty text', () => {
    expect(countSegments('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 0 });
  });
});
