// The fax's three faces, shipped with the package and read once when this module loads: layout.ts measures
// text with them, render.ts embeds them. Reading them is the only I/O under the layout, so it lives here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface FontkitGlyph {
  advanceWidth: number;
}
interface FontkitFont {
  unitsPerEm: number;
  ascent: number;
  layout(text: string): { glyphs: FontkitGlyph[] };
}

// fontkit is only a dependency of pdfkit, so resolve it through pdfkit (as src/supporters/names.ts does).
const localRequire = createRequire(import.meta.url);
const fontkit = createRequire(localRequire.resolve('pdfkit'))('fontkit') as {
  create(data: Uint8Array): FontkitFont;
};

/** The letter in regular and bold; the signatories in condensed, so that more names fit a line. */
export type FaceName = 'regular' | 'bold' | 'condensed';
export const FACE_NAMES: readonly FaceName[] = ['regular', 'bold', 'condensed'];

// Text is measured and drawn one character at a time with each glyph's own advance: no kerning or
// ligatures, so a width measured here is exactly the width drawn. Shaping whole strings through pdfkit
// costs ~35 µs per distinct word and caches every word, which at 100,000 names (all numbers distinct)
// blows both the time and the memory budget.
export class Face {
  readonly font: FontkitFont;
  readonly unitsPerEm: number;
  readonly ascent: number;
  // Advance per UTF-16 code unit (-1: not measured yet); characters outside the BMP go through the map.
  private readonly bmp = new Int32Array(0x10000).fill(-1);
  private readonly astral = new Map<string, number>();

  constructor(file: string) {
    this.font = fontkit.create(readFileSync(localRequire.resolve(file)));
    this.unitsPerEm = this.font.unitsPerEm;
    this.ascent = this.font.ascent / this.font.unitsPerEm;
  }

  /** Width in font units (exact integers, so layout decisions are the same wherever they are made). */
  units(text: string): number {
    let total = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0xd800 || code > 0xdfff) {
        let advance = this.bmp[code] as number;
        if (advance < 0) {
          advance = this.measure(text[i] as string);
          this.bmp[code] = advance;
        }
        total += advance;
      } else {
        const char = String.fromCodePoint(text.codePointAt(i) as number);
        i += char.length - 1;
        let advance = this.astral.get(char);
        if (advance === undefined) {
          advance = this.measure(char);
          this.astral.set(char, advance);
        }
        total += advance;
      }
    }
    return total;
  }

  width(text: string, size: number): number {
    return (this.units(text) * size) / this.unitsPerEm;
  }

  private measure(char: string): number {
    let advance = 0;
    // pdfkit encodes the same single character the same way, so this is the glyph that gets drawn.
    for (const glyph of this.font.layout(char).glyphs) advance += glyph.advanceWidth;
    return advance;
  }
}

export const FACES: Record<FaceName, Face> = {
  regular: new Face('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: new Face('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
  condensed: new Face('dejavu-fonts-ttf/ttf/DejaVuSansCondensed.ttf'),
};
