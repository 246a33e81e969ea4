// The fax sent to one authority: a letter page, then every signatory numbered in dense columns. Everything
// is laid out here first, without drawing, so that "page X of Y" and the split into parts are known before
// render.ts streams the PDF page by page. Text is measured with the faces of fonts.ts.
import type { Config } from '../config.js';
import type { CampaignRow, TargetRow } from '../db/rows.js';
import type { CampaignContact, LetterTranslation, TargetLanguage } from '../db/types.js';
import { FACES, type Face, type FaceName } from './fonts.js';
import { formatCount, localeOf, type MessageKey, message } from './messages/index.js';

export interface FaxRecipient {
  name: string;
  title: string | null;
  organisation: string | null;
  address: string | null;
  salutation: string;
  /** The recipient's fax numbers and e-mail addresses, in the cover block whichever channel carries it. */
  faxNumbers: readonly string[];
  emails: readonly string[];
}

export interface FaxDocumentInput {
  orgName: string;
  /** The sender block under the organisation's name; the campaign's own contact after it. */
  letterhead?: Config['letterhead'];
  contact?: CampaignContact | null;
  /** The language of the fixed parts, the date and the numbers: the recipient's. */
  language?: TargetLanguage;
  reference: string | null;
  title: string;
  /** The running header when there is no reference. */
  shortTitle?: string | null;
  subject: string | null;
  letterBody: string;
  /** Printed first when it is in the recipient's language, then the original. */
  translation?: LetterTranslation | null;
  date: Date;
  /** IANA time zone of the recipient, for the date line. */
  timezone: string;
  recipient: FaxRecipient;
  /**
   * The signatories of the batch in order, numbered from 1: every one, or (so that a part of a large batch
   * need not hold the others) only those from the 0-based place `namesFrom`, of `nameCount` in all.
   */
  names: readonly string[];
  namesFrom?: number;
  nameCount?: number;
  /** The most pages in one part, letter page(s) included (>= 2). */
  maxPages: number;
  resent?: boolean;
}

/** How many signatories the batch has, whether or not input.names holds them all. */
export const signatoryCount = (input: FaxDocumentInput): number =>
  input.nameCount ?? (input.namesFrom ?? 0) + input.names.length;

/** The signatory at the 0-based place `index` of the batch. */
export const signatoryAt = (input: FaxDocumentInput, index: number): string =>
  input.names[index - (input.namesFrom ?? 0)] as string;

/** part is 1-based; firstName is a 0-based place in the batch. */
export interface FaxPart {
  part: number;
  parts: number;
  firstName: number;
  nameCount: number;
  pages: number;
}

/** The signatories' font size: fax fine mode (204×196 dpi) stays legible down to 8 pt, not below. */
export const FAX_FONT_SIZE = 8;

// --- Geometry (points; y grows downwards from the top of the page, as in pdfkit) ---------------------

const PAGE_WIDTH = 595.28; // A4
const PAGE_HEIGHT = 841.89;
// The sending machine stamps its own line over the top ~0.4 inch; nothing of ours above 0.6 inch (43.2 pt).
const HEADER_TOP = 44;
// Fax machines clip a few millimetres at the paper's edges: nothing of ours within 10 mm (28.35 pt) of one.
const MIN_MARGIN = 28.35;
const NAMES_SIDE_MARGIN = 29;
const NAMES_TOP = 58;
const NAMES_BOTTOM_MARGIN = 29;
const COLUMNS = 4;
const COLUMN_GAP = 8;
// 1.15 em: accented capitals (0.93 em tall) clear the descenders (0.21 em) of the line above.
const LINE_HEIGHT = 9.2;
const CONTINUATION_INDENT = 6;

const COLUMN_WIDTH = (PAGE_WIDTH - 2 * NAMES_SIDE_MARGIN - (COLUMNS - 1) * COLUMN_GAP) / COLUMNS;
const LINES_PER_COLUMN = Math.floor((PAGE_HEIGHT - NAMES_BOTTOM_MARGIN - NAMES_TOP) / LINE_HEIGHT);

const LETTER_MARGIN = 56.69; // 20 mm
const LETTER_TOP = 72;
const LETTER_BOTTOM = PAGE_HEIGHT - 40;
const LETTER_WIDTH = PAGE_WIDTH - 2 * LETTER_MARGIN;
// Largest first; the letter continues on another page only if it does not fit at the smallest.
const LETTER_SIZES = [10, 9.5, 9];
const LETTER_LEADING = 1.25;

/** Where things are on the page, for the renderer and for tests and tools that read the pages back. */
export const FAX_LAYOUT = {
  minMargin: MIN_MARGIN,
  pageWidth: PAGE_WIDTH,
  pageHeight: PAGE_HEIGHT,
  headerTop: HEADER_TOP,
  sideMargin: NAMES_SIDE_MARGIN,
  bottomMargin: NAMES_BOTTOM_MARGIN,
  namesTop: NAMES_TOP,
  columns: COLUMNS,
  columnWidth: COLUMN_WIDTH,
  columnGap: COLUMN_GAP,
  lineHeight: LINE_HEIGHT,
  linesPerColumn: LINES_PER_COLUMN,
  letterMargin: LETTER_MARGIN,
  letterBottom: LETTER_BOTTOM,
} as const;

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

// "1,234. Name"; a name too wide for its column continues on lines indented past the number. The number's
// width depends on the number alone, so the layout of a page does not depend on where a part starts.
export function entry(number: number, name: string, language: TargetLanguage = 'en'): Entry {
  const label = `${formatCount(language, number)}. `;
  const hang = FACES.condensed.width(label, FAX_FONT_SIZE) + CONTINUATION_INDENT;
  const width = COLUMN_WIDTH - hang;
  const lines = wrap(displayName(name), FACES.condensed, FAX_FONT_SIZE, width + CONTINUATION_INDENT, width);
  if (lines.length > LINES_PER_COLUMN) {
    throw new RangeError(`signatory ${number}'s name is too long to print`);
  }
  lines[0] = label + lines[0];
  return { lines, hang };
}

// Fills columns top to bottom, left to right; an entry is never split across columns or pages.
export class ColumnFlow {
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

/**
 * Where each signatory page starts when the batch's names are laid out in one run, fed the names in order
 * a chunk at a time: a batch of a million names need not be in memory at once.
 */
export class SignatoryPageStarts {
  readonly starts: number[] = [];
  private readonly flow = new ColumnFlow();
  private count = 0;

  constructor(private readonly language: TargetLanguage) {}

  add(names: Iterable<string>): void {
    for (const name of names) {
      if (this.flow.place(entry(this.count + 1, name, this.language).lines.length))
        this.starts.push(this.count);
      this.count++;
    }
  }
}

/**
 * Lays out the signatories at places [from, to) from a fresh page (`nameAt` gives each); calls onPage with
 * the place that starts each page.
 */
function paginateNames(
  nameAt: (index: number) => string,
  from: number,
  to: number,
  language: TargetLanguage,
  onPage: (index: number) => void = () => {},
): number {
  const flow = new ColumnFlow();
  let pages = 0;
  for (let index = from; index < to; index++) {
    if (flow.place(entry(index + 1, nameAt(index), language).lines.length)) {
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
  /** Pages of the part, letter included: one line of the cover block, whatever the number. */
  pages: number;
}

export interface TextLine {
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

/**
 * The paragraphs of a letter body; single line breaks inside a paragraph are kept (staff type lists, quotes).
 */
function bodyBlocks(body: string): LetterBlock[] {
  const blocks: LetterBlock[] = [];
  for (const paragraph of body.replace(/\r\n?/gu, '\n').split(/\n[ \t]*\n\s*/u)) {
    paragraph
      .trim()
      .split('\n')
      .forEach((text, index) => {
        if (text !== '') blocks.push({ text, gapBefore: index === 0 ? 0.6 : 0 });
      });
  }
  return blocks;
}

const lines = (text: string | null | undefined) =>
  (text ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

function letterBlocks(input: FaxDocumentInput, summary: PartSummary): LetterBlock[] {
  const { recipient } = input;
  const language = input.language ?? 'en';
  const t = (key: MessageKey, values?: Record<string, string | number>) => message(language, key, values);
  const total = signatoryCount(input);
  const date = new Intl.DateTimeFormat(localeOf(language), {
    timeZone: input.timezone,
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(input.date);
  const multipart = summary.parts > 1;
  const range = { first: summary.firstNumber, last: summary.lastNumber };
  const salutation = recipient.salutation.trim();
  const letterhead = input.letterhead;
  const contact = input.contact;
  const contactText = [contact?.name, contact?.phone, contact?.email].filter(Boolean).join(', ');

  const blocks: LetterBlock[] = [
    { text: input.orgName, face: 'bold', sizeStep: 3 },
    ...lines(letterhead?.address).map((text) => ({ text })),
    ...(letterhead?.phone ? [{ text: t('senderPhone', { phone: letterhead.phone }) }] : []),
    ...(letterhead?.email ? [{ text: t('senderEmail', { email: letterhead.email }) }] : []),
    ...(contactText ? [{ text: t('senderContact', { contact: contactText }) }] : []),
    { text: date, gapBefore: 1 },
    { text: recipient.name, face: 'bold', gapBefore: 1 },
    ...[recipient.title, recipient.organisation, ...lines(recipient.address)]
      .map((line) => line?.trim())
      .filter((line): line is string => Boolean(line))
      .map((text) => ({ text })),
  ];
  if (recipient.faxNumbers.length > 0) {
    blocks.push({ text: t('recipientFax', { numbers: recipient.faxNumbers.join(', ') }) });
  }
  if (recipient.emails.length > 0) {
    blocks.push({ text: t('recipientEmail', { addresses: recipient.emails.join(', ') }) });
  }
  const meta: LetterBlock[] = [];
  if (input.reference) meta.push({ text: t('reference', { reference: input.reference }) });
  if (multipart) {
    meta.push({
      text: t('partOf', { part: summary.part, parts: summary.parts, ...range, total }),
      face: 'bold',
    });
  }
  if (input.resent) meta.push({ text: t(multipart ? 'resentPart' : 'resentFax'), face: 'bold' });
  meta.push({ text: summary.pages === 1 ? t('pagesOne') : t('pagesMany', { pages: summary.pages }) });
  meta.forEach((block, index) => {
    blocks.push(index === 0 ? { ...block, gapBefore: 1 } : block);
  });

  const original = { subject: input.subject ?? input.title, body: input.letterBody };
  const translated = input.translation?.language === language ? input.translation : null;
  blocks.push({ text: translated?.subject ?? original.subject, face: 'bold', gapBefore: 1 });
  // The salutation is stored in full; only the conventional comma is added when it has no punctuation.
  blocks.push({ text: /[,!.:;]$/u.test(salutation) ? salutation : `${salutation},`, gapBefore: 1 });
  blocks.push(...bodyBlocks(translated?.body ?? original.body));
  blocks.push({ text: t('closing'), gapBefore: 1 });
  blocks.push({ text: input.orgName, face: 'bold', gapBefore: 1 });

  let signed: string;
  if (total === 0) signed = t('noSignatories');
  else if (!multipart) signed = t('signed', { count: total, org: input.orgName });
  else signed = t('signedInParts', { count: total, org: input.orgName, parts: summary.parts, ...range });
  blocks.push({ text: signed, gapBefore: 1 });

  if (translated) {
    blocks.push({ text: t('original'), face: 'bold', gapBefore: 1.5 });
    blocks.push({ text: original.subject, face: 'bold', gapBefore: 0.6 });
    blocks.push(...bodyBlocks(original.body));
  }
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

/** While a part is planned its pages are not known yet: any count takes the cover block's one line. */
function summaryOf(part: FaxPart, maxPages: number): PartSummary {
  return {
    part: part.part,
    parts: part.parts,
    firstNumber: part.firstName + 1,
    lastNumber: part.firstName + part.nameCount,
    pages: part.pages > 0 ? part.pages : maxPages,
  };
}

const languageOf = (input: FaxDocumentInput): TargetLanguage => input.language ?? 'en';

/**
 * Splits the batch into parts of at most maxPages pages, letter included; at least one part. `starts`, the
 * signatory page starts of every name (SignatoryPageStarts), lets input.names hold only its length.
 */
export function planFax(input: FaxDocumentInput, starts?: readonly number[]): FaxPart[] {
  const { maxPages } = input;
  const total = signatoryCount(input);
  if (!Number.isInteger(maxPages) || maxPages < 2) throw new RangeError('maxPages must be an integer >= 2');
  if (starts === undefined) {
    if ((input.namesFrom ?? 0) !== 0 || input.names.length !== total) {
      throw new RangeError('planning without page starts needs every name');
    }
    const paging = new SignatoryPageStarts(languageOf(input));
    paging.add(input.names);
    return planFax(input, paging.starts);
  }

  const whole: FaxPart = { part: 1, parts: 1, firstName: 0, nameCount: total, pages: 0 };
  const wholeLetterPages = layoutLetter(input, summaryOf(whole, maxPages)).length;
  if (wholeLetterPages + starts.length <= maxPages) {
    return [{ ...whole, pages: wholeLetterPages + starts.length }];
  }
  if (total === 0) throw new RangeError(`the letter needs ${wholeLetterPages} pages, over maxPages`);

  // The letter of a part names its part and number range; reserve room for the widest such text (no more
  // parts than signatory pages), then count each part's own letter, which can only be shorter.
  const widest: PartSummary = {
    part: starts.length,
    parts: starts.length,
    firstNumber: total,
    lastNumber: total,
    pages: maxPages,
  };
  const namePagesPerPart = maxPages - layoutLetter(input, widest).length;
  if (namePagesPerPart < 1) throw new RangeError('the letter leaves no room for signatories within maxPages');

  const partCount = Math.ceil(starts.length / namePagesPerPart);
  const parts: FaxPart[] = [];
  for (let index = 0; index < partCount; index++) {
    const firstPage = index * namePagesPerPart;
    const endPage = Math.min(firstPage + namePagesPerPart, starts.length);
    const firstName = starts[firstPage] as number;
    const end = starts[endPage] ?? total;
    const part: FaxPart = {
      part: index + 1,
      parts: partCount,
      firstName,
      nameCount: end - firstName,
      pages: 0,
    };
    part.pages = layoutLetter(input, summaryOf(part, maxPages)).length + (endPage - firstPage);
    parts.push(part);
  }
  return parts;
}

/** How many names each signatory page holds when the whole batch is laid out in one run. */
export function signatoryPageSizes(names: readonly string[], language: TargetLanguage = 'en'): number[] {
  const starts: number[] = [];
  paginateNames(
    (index) => names[index] as string,
    0,
    names.length,
    language,
    (index) => starts.push(index),
  );
  return starts.map((start, page) => (starts[page + 1] ?? names.length) - start);
}

// Every header promises "page X of Y": check before drawing that this part, laid out here, has Y pages.
export function layoutPart(input: FaxDocumentInput, part: FaxPart): TextLine[][] {
  const end = part.firstName + part.nameCount;
  const from = input.namesFrom ?? 0;
  const inRange =
    Number.isInteger(part.firstName) &&
    Number.isInteger(part.nameCount) &&
    part.firstName >= from &&
    part.nameCount >= 0 &&
    end <= from + input.names.length &&
    end <= signatoryCount(input);
  if (!inRange) throw new RangeError('the part does not belong to these names');
  const letter = layoutLetter(input, summaryOf(part, input.maxPages));
  const nameAt = (index: number) => signatoryAt(input, index);
  const pages = letter.length + paginateNames(nameAt, part.firstName, end, languageOf(input));
  if (pages !== part.pages) throw new RangeError(`part ${part.part} has ${pages} pages, not ${part.pages}`);
  return letter;
}

/**
 * The letter of a part as plain text, as its page reads: the body of the e-mail that carries the part.
 * A gap between blocks is a blank line.
 */
export function letterPlainText(input: FaxDocumentInput, part: FaxPart): string {
  return letterBlocks(input, summaryOf(part, input.maxPages))
    .map((block, index) => (index > 0 && (block.gapBefore ?? 0) > 0 ? `\n${block.text}` : block.text))
    .join('\n');
}

// --- Cost and input ---------------------------------------------------------------------------------

/** What sending `pages` pages costs and how long they keep a line busy. */
export function estimate(pages: number, fax: Config['fax']) {
  return {
    estimatedCost: Math.round(pages * fax.pricePerPage * 100) / 100,
    estimatedSeconds: pages * fax.secondsPerPage,
  };
}

type Campaign = CampaignRow;
type Target = TargetRow;

/**
 * Some of a batch's names: `names` are the signatories from the 0-based place `from`, of `count` in all
 * (no name at all when only the count matters, as for a letter).
 */
export interface SomeNames {
  names: readonly string[];
  from: number;
  count: number;
}

/** The document of one target: the campaign's letter, the target's recipient block and the names. */
export function faxInput(
  config: Config,
  campaign: Campaign,
  target: Target,
  signatories: readonly string[] | SomeNames,
  date: Date,
  resent = false,
): FaxDocumentInput {
  const some = 'count' in signatories ? signatories : null;
  return {
    orgName: config.orgName,
    letterhead: config.letterhead,
    contact: campaign.contact,
    language: target.language,
    reference: campaign.reference,
    title: campaign.title,
    shortTitle: campaign.shortTitle,
    subject: campaign.letterSubject,
    letterBody: campaign.letterBody,
    translation: campaign.letterTranslation,
    date,
    timezone: target.timezone,
    recipient: {
      name: target.name,
      title: target.title,
      organisation: target.organisation,
      address: target.address,
      salutation: target.salutation,
      faxNumbers: target.faxNumbers,
      emails: target.emails,
    },
    names: some ? some.names : (signatories as readonly string[]),
    ...(some ? { namesFrom: some.from, nameCount: some.count } : {}),
    maxPages: config.fax.maxPages,
    resent,
  };
}
