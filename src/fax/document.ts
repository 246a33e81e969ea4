// The fax sent to one authority: a letter page, then every signatory numbered in dense columns. Everything is
// laid out first (pure, so "page X of Y" and the split into parts are known before drawing) and then streamed
// as a PDF page by page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import PDFDocument from 'pdfkit';

export interface FaxRecipient {
  name: string;
  title: string | null;
  organisation: string | null;
  address: string | null;
  salutation: string;
}

export interface FaxDocumentInput {
  orgName: string;
  reference: string | null;
  title: string;
  subject: string | null;
  letterBody: string;
  date: Date;
  /** IANA time zone of the recipient, for the date line. */
  timezone: string;
  recipient: FaxRecipient;
  /** Every signatory of the batch, in order; numbered from 1. */
  names: readonly string[];
  /** The most pages in one part, letter page(s) included (>= 2). */
  maxPages: number;
  resent?: boolean;
}

/** part is 1-based; firstName is a 0-based index into names. */
export interface FaxPart {
  part: number;
  parts: number;
  firstName: number;
  nameCount: number;
  pages: number;
}

/** The signatories' font size: fax fine mode (204×196 dpi) stays legible down to 8 pt, not below. */
export const FAX_FONT_SIZE = 8;

// --- Fonts -----------------------------------------------------------------------------------------

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

type FaceName = 'regular' | 'bold';

// Text is measured and drawn one character at a time with each glyph's own advance: no kerning or
// ligatures, so a width measured here is exactly the width drawn. Shaping whole strings through pdfkit
// costs ~35 µs per distinct word and caches every word, which at 100,000 names (all numbers distinct)
// blows both the time and the memory budget.
class Face {
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

const FACES: Record<FaceName, Face> = {
  regular: new Face('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: new Face('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
};

// --- Geometry (points; y grows downwards from the top of the page, as in pdfkit) ---------------------

const PAGE_WIDTH = 595.28; // A4
const PAGE_HEIGHT = 841.89;
// The sending machine stamps its own line over the top ~0.4 inch; nothing of ours above 0.6 inch (43.2 pt).
const HEADER_TOP = 44;
const HEADER_SIZE = 9;
const NAMES_SIDE_MARGIN = 20;
const NAMES_TOP = 58;
const NAMES_BOTTOM_MARGIN = 20;
const COLUMNS = 4;
const COLUMN_GAP = 8;
// 1.15 em: accented capitals (0.93 em tall) clear the descenders (0.21 em) of the line above.
const LINE_HEIGHT = 9.2;
const CONTINUATION_INDENT = 6;

const COLUMN_WIDTH = (PAGE_WIDTH - 2 * NAMES_SIDE_MARGIN - (COLUMNS - 1) * COLUMN_GAP) / COLUMNS;
const LINES_PER_COLUMN = Math.floor((PAGE_HEIGHT - NAMES_BOTTOM_MARGIN - NAMES_TOP) / LINE_HEIGHT);

/** Where the signatory columns are, for tests and tools that read the pages back. */
export const FAX_LAYOUT = {
  pageWidth: PAGE_WIDTH,
  pageHeight: PAGE_HEIGHT,
  headerTop: HEADER_TOP,
  sideMargin: NAMES_SIDE_MARGIN,
  namesTop: NAMES_TOP,
  columns: COLUMNS,
  columnWidth: COLUMN_WIDTH,
  columnGap: COLUMN_GAP,
  lineHeight: LINE_HEIGHT,
  linesPerColumn: LINES_PER_COLUMN,
} as const;

const LETTER_MARGIN = 56.69; // 20 mm
const LETTER_TOP = 72;
const LETTER_BOTTOM = PAGE_HEIGHT - 40;
const LETTER_WIDTH = PAGE_WIDTH - 2 * LETTER_MARGIN;
// Largest first; the letter continues on another page only if it does not fit at the smallest.
const LETTER_SIZES = [10, 9.5, 9];
const LETTER_LEADING = 1.25;

// --- Wrapping --------------------------------------------------------------------------------------

interface Piece {
  text: string;
  glue: string; // what joins it to the previous piece on the same line
}

// Break opportunities: spaces (dropped at the break) and after hyphens (kept at the end of the line).
function pieces(text: string): Piece[] {
  const result: Piece[] = [];
  for (const word of text.split(' ')) {
    if (word === '') continue;
    word.split(/(?<=[-‐])(?=.)/u).forEach((part, index) => {
      result.push({ text: part, glue: index === 0 ? ' ' : '' });
    });
  }
  return result;
}

/** Lines of text no wider than firstWidth (then restWidth); words too long for a line are broken. */
function wrap(text: string, face: Face, size: number, firstWidth: number, restWidth: number): string[] {
  const unitsPerPoint = face.unitsPerEm / size;
  let limit = firstWidth * unitsPerPoint;
  if (face.units(text) <= limit) return [text];

  const restLimit = restWidth * unitsPerPoint;
  const lines: string[] = [];
  let line = '';
  let lineUnits = 0;
  for (const piece of pieces(text)) {
    const pieceUnits = face.units(piece.text);
    if (line !== '') {
      const joined = lineUnits + face.units(piece.glue) + pieceUnits;
      if (joined <= limit) {
        line += piece.glue + piece.text;
        lineUnits = joined;
        continue;
      }
      lines.push(line);
      limit = restLimit;
    }
    let rest = piece.text;
    while (face.units(rest) > limit) {
      const [head, tail] = splitToFit(rest, face, limit);
      lines.push(head);
      limit = restLimit;
      rest = tail;
    }
    line = rest;
    lineUnits = face.units(rest);
  }
  lines.push(line);
  return lines;
}

// The longest start of a word that fits (at least one character, so wrapping always progresses);
// combining marks stay with their base letter.
function splitToFit(word: string, face: Face, limit: number): [string, string] {
  const clusters = word.match(/\P{M}\p{M}*|\p{M}+/gu) ?? [word];
  let head = clusters[0] ?? '';
  let units = face.units(head);
  let taken = 1;
  while (taken < clusters.length) {
    const next = face.units(clusters[taken] as string);
    if (units + next > limit) break;
    head += clusters[taken];
    units += next;
    taken++;
  }
  return [head, clusters.slice(taken).join('')];
}

// --- Signatory columns -----------------------------------------------------------------------------

// Names arrive cleaned (src/supporters/names.ts); this guards the layout against stray whitespace and
// decomposed accents, skipping the work for plain ASCII names.
const PLAIN_NAME = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;

function displayName(name: string): string {
  return PLAIN_NAME.test(name) ? name : name.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

interface Entry {
  lines: string[];
  hang: number; // x offset of continuation lines
}

// "1234. Name"; a name too wide for its column continues on lines indented past the number. The number's
// width depends on the number alone, so the layout of a page does not depend on where a part starts.
function entry(number: number, name: string): Entry {
  const label = `${number}. `;
  const hang = FACES.regular.width(label, FAX_FONT_SIZE) + CONTINUATION_INDENT;
  const width = COLUMN_WIDTH - hang;
  const lines = wrap(displayName(name), FACES.regular, FAX_FONT_SIZE, width + CONTINUATION_INDENT, width);
  if (lines.length > LINES_PER_COLUMN) {
    throw new RangeError(`signatory ${number}'s name is too long to print`);
  }
  lines[0] = label + lines[0];
  return { lines, hang };
}

// Fills columns top to bottom, left to right; an entry is never split across columns or pages.
class ColumnFlow {
  column = 0;
  row = 0;
  private started = false;

  /** Places an entry of `lines` lines; true when it starts a new page. */
  place(lines: number): boolean {
    const first = !this.started;
    this.started = true;
    if (this.row + lines > LINES_PER_COLUMN) {
      this.column++;
      this.row = 0;
    }
    const newPage = first || this.column === COLUMNS;
    if (this.column === COLUMNS) this.column = 0;
    this.row += lines;
    return newPage;
  }
}

/** Lays out names[from..to) from a fresh page; calls onPage with the index that starts each page. */
function paginateNames(
  names: readonly string[],
  from: number,
  to: number,
  onPage: (index: number) => void = () => {},
): number {
  const flow = new ColumnFlow();
  let pages = 0;
  for (let index = from; index < to; index++) {
    if (flow.place(entry(index + 1, names[index] as string).lines.length)) {
      pages++;
      onPage(index);
    }
  }
  return pages;
}

// --- Letter ----------------------------------------------------------------------------------------

interface PartSummary {
  part: number;
  parts: number;
  firstNumber: number; // 1-based
  lastNumber: number;
}

interface TextLine {
  face: FaceName;
  size: number;
  x: number;
  y: number; // top of the line box
  text: string;
}

interface LetterBlock {
  text: string;
  face?: FaceName;
  sizeStep?: number; // points above the body size
  gapBefore?: number; // in body lines
}

const thousands = new Intl.NumberFormat('en-GB');
const count = (n: number) => thousands.format(n);

function letterBlocks(input: FaxDocumentInput, summary: PartSummary): LetterBlock[] {
  const { recipient } = input;
  const total = input.names.length;
  const date = new Intl.DateTimeFormat('en-GB', {
    timeZone: input.timezone,
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(input.date);
  const range = `${count(summary.firstNumber)}–${count(summary.lastNumber)}`;
  const multipart = summary.parts > 1;
  const salutation = recipient.salutation.trim();

  const blocks: LetterBlock[] = [
    { text: input.orgName, face: 'bold', sizeStep: 3 },
    { text: date, gapBefore: 1 },
    { text: recipient.name, face: 'bold', gapBefore: 1 },
    ...[recipient.title, recipient.organisation, ...(recipient.address ?? '').split('\n')]
      .map((line) => line?.trim())
      .filter((line): line is string => Boolean(line))
      .map((text) => ({ text })),
  ];
  const meta: LetterBlock[] = [];
  if (input.reference) meta.push({ text: `Reference: ${input.reference}` });
  if (multipart) {
    meta.push({
      text: `Part ${summary.part} of ${summary.parts}. Signatories ${range} of ${count(total)}.`,
      face: 'bold',
    });
  }
  if (input.resent) {
    meta.push({
      text: `RESENT — this ${multipart ? 'part' : 'fax'} was interrupted and is sent again in full.`,
      face: 'bold',
    });
  }
  meta.forEach((block, index) => {
    blocks.push(index === 0 ? { ...block, gapBefore: 1 } : block);
  });

  blocks.push({ text: input.subject ?? input.title, face: 'bold', gapBefore: 1 });
  // The salutation is stored in full; only the conventional comma is added when it has no punctuation.
  blocks.push({ text: /[,!.:;]$/u.test(salutation) ? salutation : `${salutation},`, gapBefore: 1 });
  for (const paragraph of input.letterBody.replace(/\r\n?/gu, '\n').split(/\n[ \t]*\n\s*/u)) {
    // Single line breaks inside a paragraph are kept: staff type them on purpose (lists, quotes).
    paragraph
      .trim()
      .split('\n')
      .forEach((text, index) => {
        if (text !== '') blocks.push({ text, gapBefore: index === 0 ? 0.6 : 0 });
      });
  }
  blocks.push({ text: 'Yours faithfully,', gapBefore: 1 });
  blocks.push({ text: input.orgName, face: 'bold', gapBefore: 1 });

  const supporters = `${count(total)} ${total === 1 ? 'supporter' : 'supporters'} of ${input.orgName}`;
  let signed: string;
  if (total === 0) signed = `This letter has no signatories yet.`;
  else if (!multipart) signed = `This letter is signed by ${supporters}, listed on the following pages.`;
  else {
    signed =
      `This letter is signed by ${supporters}, listed in ${summary.parts} parts sent separately; ` +
      `this part lists signatories ${range} on the following pages.`;
  }
  blocks.push({ text: signed, gapBefore: 1 });
  return blocks;
}

function flowLetter(blocks: LetterBlock[], bodySize: number): TextLine[][] {
  const pages: TextLine[][] = [[]];
  let y = LETTER_TOP;
  for (const block of blocks) {
    const face = block.face ?? 'regular';
    const size = bodySize + (block.sizeStep ?? 0);
    const leading = size * LETTER_LEADING;
    if (y > LETTER_TOP) y += (block.gapBefore ?? 0) * bodySize * LETTER_LEADING;
    const text = block.text.replace(/\s+/gu, ' ').trim();
    for (const line of wrap(text, FACES[face], size, LETTER_WIDTH, LETTER_WIDTH)) {
      if (y + leading > LETTER_BOTTOM) {
        pages.push([]);
        y = LETTER_TOP;
      }
      (pages[pages.length - 1] as TextLine[]).push({ face, size, x: LETTER_MARGIN, y, text: line });
      y += leading;
    }
  }
  return pages;
}

/** The letter's lines page by page: at the largest size that fits one page, else continued at 9 pt. */
function layoutLetter(input: FaxDocumentInput, summary: PartSummary): TextLine[][] {
  const blocks = letterBlocks(input, summary);
  let pages: TextLine[][] = [];
  for (const size of LETTER_SIZES) {
    pages = flowLetter(blocks, size);
    if (pages.length === 1) break;
  }
  return pages;
}

// --- Plan ------------------------------------------------------------------------------------------

function summaryOf(part: FaxPart): PartSummary {
  return {
    part: part.part,
    parts: part.parts,
    firstNumber: part.firstName + 1,
    lastNumber: part.firstName + part.nameCount,
  };
}

/** Splits the batch into parts of at most maxPages pages, letter included; at least one part. */
export function planFax(input: FaxDocumentInput): FaxPart[] {
  const { maxPages, names } = input;
  if (!Number.isInteger(maxPages) || maxPages < 2) throw new RangeError('maxPages must be an integer >= 2');
  const starts: number[] = [];
  paginateNames(names, 0, names.length, (index) => starts.push(index));

  const whole: FaxPart = { part: 1, parts: 1, firstName: 0, nameCount: names.length, pages: 0 };
  const wholeLetterPages = layoutLetter(input, summaryOf(whole)).length;
  if (wholeLetterPages + starts.length <= maxPages) {
    return [{ ...whole, pages: wholeLetterPages + starts.length }];
  }
  if (names.length === 0) throw new RangeError(`the letter needs ${wholeLetterPages} pages, over maxPages`);

  // The letter of a part names its part and number range; reserve room for the widest such text (no more
  // parts than signatory pages), then count each part's own letter, which can only be shorter.
  const widest: PartSummary = {
    part: starts.length,
    parts: starts.length,
    firstNumber: names.length,
    lastNumber: names.length,
  };
  const namePagesPerPart = maxPages - layoutLetter(input, widest).length;
  if (namePagesPerPart < 1) throw new RangeError('the letter leaves no room for signatories within maxPages');

  const partCount = Math.ceil(starts.length / namePagesPerPart);
  const parts: FaxPart[] = [];
  for (let index = 0; index < partCount; index++) {
    const firstPage = index * namePagesPerPart;
    const endPage = Math.min(firstPage + namePagesPerPart, starts.length);
    const firstName = starts[firstPage] as number;
    const end = starts[endPage] ?? names.length;
    const part: FaxPart = {
      part: index + 1,
      parts: partCount,
      firstName,
      nameCount: end - firstName,
      pages: 0,
    };
    part.pages = layoutLetter(input, summaryOf(part)).length + (endPage - firstPage);
    parts.push(part);
  }
  return parts;
}

/** How many names each signatory page holds when the whole batch is laid out in one run. */
export function signatoryPageSizes(names: readonly string[]): number[] {
  const starts: number[] = [];
  paginateNames(names, 0, names.length, (index) => starts.push(index));
  return starts.map((start, page) => (starts[page + 1] ?? names.length) - start);
}

// --- Rendering -------------------------------------------------------------------------------------

// pdfkit's embedded font, which it does not type: `encode` adds the glyphs to the subset and the
// ToUnicode map (so the text can be extracted) and returns their ids as hex.
interface EmbeddedFont {
  id: string;
  encode(text: string): [string[], unknown];
  ref(): unknown;
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
  };
  private ops: string[] = [];
  private readonly used: Record<FaceName, boolean> = { regular: false, bold: false };
  private face: FaceName | null = null;
  private size = 0;

  constructor(private readonly doc: PDFKit.PDFDocument) {
    const fonts: Partial<Record<FaceName, EmbeddedFont>> = {};
    for (const face of ['regular', 'bold'] as const) {
      // pdfkit 0.20 takes a parsed fontkit font (its types do not say so yet): sharing it parses the font's
      // layout tables once per process rather than once per document.
      doc.registerFont(face, FACES[face].font as unknown as Buffer);
      doc.font(face);
      fonts[face] = (doc as unknown as { _font: EmbeddedFont })._font;
    }
    this.fonts = fonts as Record<FaceName, EmbeddedFont>;
  }

  private hex(face: FaceName, text: string): string {
    const { bmp, astral } = this.glyphs[face];
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0xd800 || code > 0xdfff) {
        let glyph = bmp[code];
        if (glyph === undefined) {
          glyph = this.fonts[face].encode(text[i] as string)[0].join('');
          bmp[code] = glyph;
        }
        out += glyph;
      } else {
        const char = String.fromCodePoint(text.codePointAt(i) as number);
        i += char.length - 1;
        let glyph = astral.get(char);
        if (glyph === undefined) {
          glyph = this.fonts[face].encode(char)[0].join('');
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
    const baseline = PAGE_HEIGHT - top - FACES[face].ascent * size;
    this.ops.push(`1 0 0 1 ${pdfNumber(x)} ${pdfNumber(baseline)} Tm <${this.hex(face, text)}> Tj`);
  }

  addRight(face: FaceName, size: number, right: number, top: number, text: string): void {
    this.add(face, size, right - FACES[face].width(text, size), top, text);
  }

  /** Puts everything added since the last call on the current page, in solid black. */
  flush(): void {
    for (const face of ['regular', 'bold'] as const) {
      if (this.used[face]) this.doc.page.fonts[this.fonts[face].id] = this.fonts[face].ref();
      this.used[face] = false;
    }
    // pdfkit starts each page with a y-flipping matrix; undo it to use PDF coordinates.
    this.doc.addContent(`q 1 0 0 -1 0 ${PAGE_HEIGHT} cm 0 g 0 G BT\n${this.ops.join('\n')}\nET Q`);
    this.ops = [];
    this.face = null;
  }
}

/** text shortened with an ellipsis to fit width: only the header, whose full text is on the letter. */
function fitText(text: string, face: FaceName, size: number, width: number): string {
  if (FACES[face].width(text, size) <= width) return text;
  const chars = [...text];
  while (chars.length > 0 && FACES[face].width(`${chars.join('')}…`, size) > width) chars.pop();
  return `${chars.join('').trimEnd()}…`;
}

function drawHeader(
  text: PageText,
  input: FaxDocumentInput,
  margin: number,
  section: string,
  page: number,
  pages: number,
  right: string,
): void {
  const rightEdge = PAGE_WIDTH - margin;
  const suffix = ` — ${section} — page ${page} of ${pages}`;
  const room =
    rightEdge - margin - FACES.bold.width(suffix, HEADER_SIZE) - FACES.bold.width(right, HEADER_SIZE) - 12;
  const label = fitText(input.reference ?? input.title, 'bold', HEADER_SIZE, room);
  text.add('bold', HEADER_SIZE, margin, HEADER_TOP, label + suffix);
  text.addRight('bold', HEADER_SIZE, rightEdge, HEADER_TOP, right);
}

// pdfkit pushes each finished page whatever the reader's pace; past this much unread output, wait for it.
const OUTPUT_BACKLOG = 1 << 20;

async function letOutputCatchUp(doc: PDFKit.PDFDocument): Promise<void> {
  // Yield once per page anyway, so a long render does not hold up the worker's other jobs and timers.
  await new Promise((resolve) => setImmediate(resolve));
  while (doc.readableLength > OUTPUT_BACKLOG && !doc.destroyed) await sleep(1);
}

// Every header promises "page X of Y": check before drawing that this part, laid out here, has Y pages.
function layoutPart(input: FaxDocumentInput, part: FaxPart): TextLine[][] {
  const end = part.firstName + part.nameCount;
  const inRange =
    Number.isInteger(part.firstName) &&
    Number.isInteger(part.nameCount) &&
    part.firstName >= 0 &&
    part.nameCount >= 0 &&
    end <= input.names.length;
  if (!inRange) throw new RangeError('the part does not belong to these names');
  const letter = layoutLetter(input, summaryOf(part));
  const pages = letter.length + paginateNames(input.names, part.firstName, end);
  if (pages !== part.pages) throw new RangeError(`part ${part.part} has ${pages} pages, not ${part.pages}`);
  return letter;
}

async function drawPart(
  doc: PDFKit.PDFDocument,
  input: FaxDocumentInput,
  part: FaxPart,
  letter: TextLine[][],
): Promise<void> {
  const text = new PageText(doc);
  const partLabel = part.parts > 1 ? `part ${part.part} of ${part.parts}` : '';
  let page = 0;

  for (const lines of letter) {
    doc.addPage({ size: 'A4', margin: 0 });
    page++;
    drawHeader(text, input, LETTER_MARGIN, 'letter', page, part.pages, partLabel);
    for (const line of lines) text.add(line.face, line.size, line.x, line.y, line.text);
    text.flush();
    await letOutputCatchUp(doc);
    if (doc.destroyed) return;
  }

  const flow = new ColumnFlow();
  const end = part.firstName + part.nameCount;
  let pageFirst = part.firstName;
  const finishPage = async (last: number) => {
    const numbers = `nos. ${count(pageFirst + 1)}–${count(last + 1)} of ${count(input.names.length)}`;
    const right = partLabel ? `${partLabel} · ${numbers}` : numbers;
    drawHeader(text, input, NAMES_SIDE_MARGIN, 'signatories', page, part.pages, right);
    text.flush();
    await letOutputCatchUp(doc);
  };

  for (let index = part.firstName; index < end; index++) {
    const { lines, hang } = entry(index + 1, input.names[index] as string);
    if (flow.place(lines.length)) {
      if (index > part.firstName) await finishPage(index - 1);
      if (doc.destroyed) return;
      doc.addPage({ size: 'A4', margin: 0 });
      page++;
      pageFirst = index;
    }
    const x = NAMES_SIDE_MARGIN + flow.column * (COLUMN_WIDTH + COLUMN_GAP);
    const top = NAMES_TOP + (flow.row - lines.length) * LINE_HEIGHT;
    for (let n = 0; n < lines.length; n++) {
      text.add('regular', FAX_FONT_SIZE, n === 0 ? x : x + hang, top + n * LINE_HEIGHT, lines[n] as string);
    }
  }
  if (end > part.firstName) await finishPage(end - 1);
}

/** Streams one part as a PDF into output and ends it; resolves when it is fully written. */
export async function renderFaxPart(
  input: FaxDocumentInput,
  part: FaxPart,
  output: NodeJS.WritableStream,
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
      await drawPart(doc, input, part, letter);
      if (!doc.destroyed) doc.end();
    } catch (error) {
      doc.destroy(error as Error);
    }
  })();
  await Promise.all([pipeline(doc, output), drawing]);
}

export async function renderFaxPartToBuffer(input: FaxDocumentInput, part: FaxPart): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await renderFaxPart(input, part, sink);
  return Buffer.concat(chunks);
}
