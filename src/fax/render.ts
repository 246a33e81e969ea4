// Draws a part laid out by layout.ts as a PDF, streamed page by page so that 100,000 names fit in memory.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import PDFDocument from 'pdfkit';
import { FACE_NAMES, FACES, type FaceName } from './fonts.js';
import {
  ColumnFlow,
  entry,
  FAX_FONT_SIZE,
  FAX_LAYOUT,
  type FaxDocumentInput,
  type FaxPart,
  layoutPart,
  signatoryAt,
  signatoryCount,
  type TextLine,
} from './layout.js';
import { type MessageKey, message } from './messages/index.js';

const HEADER_SIZE = 9;
const {
  pageWidth,
  pageHeight,
  headerTop,
  letterMargin,
  sideMargin,
  namesTop,
  columnWidth,
  columnGap,
  lineHeight,
} = FAX_LAYOUT;

// pdfkit's embedded font, which it does not type: `encode` adds the glyphs to the subset and the
// ToUnicode map (so the text can be extracted) and returns their ids as hex.
interface EmbeddedFont {
  id: string;
  encode(text: string): [string[], unknown];
  ref(): unknown;
  /** Code points per subset glyph, for the ToUnicode map. */
  unicode: number[][];
}

const pdfNumber = (n: number) => n.toFixed(2).replace(/\.?0+$/u, '');

// Writes text straight into the page's content stream with pdfkit's embedded fonts: one text object per
// page instead of pdfkit's per-call text machinery, which is too slow for 100,000 names.
class PageText {
  private readonly fonts: Record<FaceName, EmbeddedFont>;
  // Hex glyph ids per UTF-16 code unit; characters outside the BMP go through the map.
  private readonly glyphs: Record<FaceName, { bmp: string[]; astral: Map<string, string> }> = {
    regular: { bmp: [], astral: new Map() },
    bold: { bmp: [], astral: new Map() },
    condensed: { bmp: [], astral: new Map() },
  };
  private ops: string[] = [];
  private readonly used: Record<FaceName, boolean> = { regular: false, bold: false, condensed: false };
  private face: FaceName | null = null;
  private size = 0;

  constructor(private readonly doc: PDFKit.PDFDocument) {
    const fonts: Partial<Record<FaceName, EmbeddedFont>> = {};
    for (const face of FACE_NAMES) {
      // pdfkit 0.20 takes a parsed fontkit font (its types do not say so yet): sharing it parses the font's
      // layout tables once per process rather than once per document.
      doc.registerFont(face, FACES[face].font as unknown as Buffer);
      doc.font(face);
      fonts[face] = (doc as unknown as { _font: EmbeddedFont })._font;
    }
    this.fonts = fonts as Record<FaceName, EmbeddedFont>;
  }

  /**
   * The glyph of one character. fontkit caches a glyph with the characters it was first asked for, and a
   * subset built earlier in this process may have asked for a glyph with none (as the component of
   * another: Cyrillic р is drawn with Latin p's outline); pdfkit then maps it to no text. The character
   * is recorded here, so that the text of every page can be read back, searched and copied.
   */
  private encode(face: FaceName, char: string): string {
    const font = this.fonts[face];
    const [glyphs] = font.encode(char);
    const [only] = glyphs;
    if (glyphs.length === 1 && only !== undefined) {
      const gid = Number.parseInt(only, 16);
      if (!font.unicode[gid]?.length) font.unicode[gid] = [char.codePointAt(0) as number];
    }
    return glyphs.join('');
  }

  private hex(face: FaceName, text: string): string {
    const { bmp, astral } = this.glyphs[face];
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0xd800 || code > 0xdfff) {
        let glyph = bmp[code];
        if (glyph === undefined) {
          glyph = this.encode(face, text[i] as string);
          bmp[code] = glyph;
        }
        out += glyph;
      } else {
        const char = String.fromCodePoint(text.codePointAt(i) as number);
        i += char.length - 1;
        let glyph = astral.get(char);
        if (glyph === undefined) {
          glyph = this.encode(face, char);
          astral.set(char, glyph);
        }
        out += glyph;
      }
    }
    return out;
  }

  add(face: FaceName, size: number, x: number, top: number, text: string): void {
    if (text === '') return;
    if (face !== this.face || size !== this.size) {
      this.ops.push(`/${this.fonts[face].id} ${pdfNumber(size)} Tf`);
      this.face = face;
      this.size = size;
    }
    this.used[face] = true;
    const baseline = pageHeight - top - FACES[face].ascent * size;
    this.ops.push(`1 0 0 1 ${pdfNumber(x)} ${pdfNumber(baseline)} Tm <${this.hex(face, text)}> Tj`);
  }

  addRight(face: FaceName, size: number, right: number, top: number, text: string): void {
    this.add(face, size, right - FACES[face].width(text, size), top, text);
  }

  /** Puts everything added since the last call on the current page, in solid black. */
  flush(): void {
    for (const face of FACE_NAMES) {
      if (this.used[face]) this.doc.page.fonts[this.fonts[face].id] = this.fonts[face].ref();
      this.used[face] = false;
    }
    // pdfkit starts each page with a y-flipping matrix; undo it to use PDF coordinates.
    this.doc.addContent(`q 1 0 0 -1 0 ${pageHeight} cm 0 g 0 G BT\n${this.ops.join('\n')}\nET Q`);
    this.ops = [];
    this.face = null;
  }
}

/**
 * The header's label cut to whole words that fit width, with an ellipsis when words were left out; empty
 * when not even the first word fits. Its full text is on the letter.
 */
export function fitWords(text: string, face: FaceName, size: number, width: number): string {
  if (FACES[face].width(text, size) <= width) return text;
  const words = text.split(/\s+/u);
  while (words.length > 0 && FACES[face].width(`${words.join(' ')}…`, size) > width) words.pop();
  return words.length === 0 ? '' : `${words.join(' ')}…`;
}

function drawHeader(
  text: PageText,
  input: FaxDocumentInput,
  margin: number,
  section: MessageKey,
  page: number,
  pages: number,
  right: string,
): void {
  const language = input.language ?? 'en';
  const rightEdge = pageWidth - margin;
  const suffix = `${message(language, section)} — ${message(language, 'headerPage', { page, pages })}`;
  const room =
    rightEdge -
    margin -
    FACES.bold.width(` — ${suffix}`, HEADER_SIZE) -
    FACES.bold.width(right, HEADER_SIZE) -
    12;
  // The reference, else the short title staff set, else the campaign's title.
  const label = fitWords(input.reference ?? input.shortTitle ?? input.title, 'bold', HEADER_SIZE, room);
  text.add('bold', HEADER_SIZE, margin, headerTop, label === '' ? suffix : `${label} — ${suffix}`);
  text.addRight('bold', HEADER_SIZE, rightEdge, headerTop, right);
}

// pdfkit pushes each finished page whatever the reader's pace; past this much unread output, wait for it.
const OUTPUT_BACKLOG = 1 << 20;

async function letOutputCatchUp(doc: PDFKit.PDFDocument): Promise<void> {
  // Yield once per page anyway, so a long render does not hold up the worker's other jobs and timers.
  await new Promise((resolve) => setImmediate(resolve));
  while (doc.readableLength > OUTPUT_BACKLOG && !doc.destroyed) await sleep(1);
}

async function drawPart(
  doc: PDFKit.PDFDocument,
  input: FaxDocumentInput,
  part: FaxPart,
  letter: TextLine[][],
  firstPageOnly: boolean,
): Promise<void> {
  const text = new PageText(doc);
  const language = input.language ?? 'en';
  const partLabel =
    part.parts > 1 ? message(language, 'headerPart', { part: part.part, parts: part.parts }) : '';
  let page = 0;

  for (const lines of letter) {
    doc.addPage({ size: 'A4', margin: 0 });
    page++;
    drawHeader(text, input, letterMargin, 'headerLetter', page, part.pages, partLabel);
    for (const line of lines) text.add(line.face, line.size, line.x, line.y, line.text);
    text.flush();
    if (firstPageOnly) return;
    await letOutputCatchUp(doc);
    if (doc.destroyed) return;
  }

  const flow = new ColumnFlow();
  const end = part.firstName + part.nameCount;
  let pageFirst = part.firstName;
  const finishPage = async (last: number) => {
    const numbers = message(language, 'headerNumbers', {
      first: pageFirst + 1,
      last: last + 1,
      total: signatoryCount(input),
    });
    const right = partLabel ? `${partLabel} · ${numbers}` : numbers;
    drawHeader(text, input, sideMargin, 'headerSignatories', page, part.pages, right);
    text.flush();
    await letOutputCatchUp(doc);
  };

  for (let index = part.firstName; index < end; index++) {
    const { lines, hang } = entry(index + 1, signatoryAt(input, index), language);
    if (flow.place(lines.length)) {
      if (index > part.firstName) await finishPage(index - 1);
      if (doc.destroyed) return;
      doc.addPage({ size: 'A4', margin: 0 });
      page++;
      pageFirst = index;
    }
    const x = sideMargin + flow.column * (columnWidth + columnGap);
    const top = namesTop + (flow.row - lines.length) * lineHeight;
    for (let n = 0; n < lines.length; n++) {
      text.add('condensed', FAX_FONT_SIZE, n === 0 ? x : x + hang, top + n * lineHeight, lines[n] as string);
    }
  }
  if (end > part.firstName) await finishPage(end - 1);
}

/** Streams one part as a PDF into output and ends it; resolves when it is fully written. */
export async function renderFaxPart(
  input: FaxDocumentInput,
  part: FaxPart,
  output: NodeJS.WritableStream,
  /** Only the letter page, as the part's first page (a preview of what the target reads first). */
  { firstPageOnly = false } = {},
): Promise<void> {
  const letter = layoutPart(input, part);
  const title = `${input.subject ?? input.title} — ${input.recipient.name}`;
  const doc = new PDFDocument({
    autoFirstPage: false,
    bufferPages: false,
    compress: true,
    size: 'A4',
    margin: 0,
    info: {
      Title: part.parts > 1 ? `${title} — part ${part.part} of ${part.parts}` : title,
      Author: input.orgName,
      Subject: input.reference ?? input.title,
      CreationDate: input.date,
    },
  });
  const drawing = (async () => {
    try {
      await drawPart(doc, input, part, letter, firstPageOnly);
      if (!doc.destroyed) doc.end();
    } catch (error) {
      doc.destroy(error as Error);
    }
  })();
  await Promise.all([pipeline(doc, output), drawing]);
}

export async function renderFaxPartToBuffer(
  input: FaxDocumentInput,
  part: FaxPart,
  options: { firstPageOnly?: boolean } = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await renderFaxPart(input, part, sink, options);
  return Buffer.concat(chunks);
}

/** Writes a PDF under a temporary name first, so that a kept document is always whole. */
/** Renders to `file` (whole or not at all) and returns the SHA-256 (hex) of what was written. */
export async function writePdf(
  file: string,
  render: (output: NodeJS.WritableStream) => Promise<void>,
): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await render(createWriteStream(partial));
  const sha256 = createHash('sha256')
    .update(await readFile(partial))
    .digest('hex');
  await rename(partial, file);
  return sha256;
}
