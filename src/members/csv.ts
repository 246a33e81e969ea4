/**
 * Reading a members file (an existing SMS network) into rows ready to import, as it arrives: no I/O of
 * its own beyond the stream it is given. A bad row is refused with its line and the reason, never with
 * the number it carries.
 */
import { CsvError, Parser } from 'csv-parse';
import { AppError } from '../errors.js';
import { checkName, type NameCheck, type NameProblem } from '../supporters/names.js';
import { normalisePhone } from '../supporters/phone.js';

export const MEMBER_COLUMNS = ['number', 'name', 'consent_date', 'consent_source'] as const;
const REQUIRED_COLUMNS = ['number', 'consent_date', 'consent_source'] as const;
const MAX_SOURCE_LENGTH = 100;

export interface MemberRow {
  /** Line of the file where the row starts (the header is line 1). */
  line: number;
  phone: string;
  /** Null when the file gives none: they will be asked for it when they first sign. */
  name: string | null;
  /** The name is kept on file but will be held for review when they sign (profanity, script). */
  held: boolean;
  consentAt: Date;
  consentSource: string;
}

export interface Refusal {
  line: number;
  reason: string;
}

const NAME_REASONS: Record<NameProblem, string> = {
  'too-short': 'the name is too short (2 characters at least)',
  'too-long': 'the name is too long (60 characters at most)',
  'too-few-letters': 'the name needs at least two letters',
  digits: 'the name contains digits',
  'url-or-email': 'the name contains a web or e-mail address',
  'leading-symbol': 'the name starts with a symbol (= + - @)',
  symbols: 'the name contains a symbol no name needs (< > { } [ ] \\ | ; `)',
};

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const UK_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const londonHour = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hour: '2-digit',
  hourCycle: 'h23',
});

/** Midnight in the UK on that day: a consent given "today" is never in the future, even in summer time. */
function ukMidnight(year: number, month: number, day: number): Date {
  const utcMidnight = Date.UTC(year, month - 1, day);
  const hourInLondon = Number(londonHour.format(new Date(utcMidnight)));
  return new Date(utcMidnight - hourInLondon * 3_600_000);
}

/**
 * A consent date as spreadsheets write it: `2024-05-31`, `31/05/2024` (UK day first) or an ISO date
 * and time (`2024-05-31T14:02:00Z`; without a zone it is read as UTC). Null when it is not one.
 */
export function parseConsentDate(text: string): Date | null {
  // A file's rows mostly share a few dates, and reading one through Intl costs microseconds.
  const known = consentDates.get(text);
  if (known !== undefined) return known === null ? null : new Date(known);
  const date = readConsentDate(text);
  if (consentDates.size >= CONSENT_DATES_KEPT) consentDates.clear();
  consentDates.set(text, date?.getTime() ?? null);
  return date;
}
const consentDates = new Map<string, number | null>();
const CONSENT_DATES_KEPT = 10_000;

function readConsentDate(text: string): Date | null {
  const iso = ISO_DATE.exec(text);
  const uk = UK_DATE.exec(text);
  if (iso || uk) {
    const [year, month, day] = iso
      ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
      : [Number(uk?.[3]), Number(uk?.[2]), Number(uk?.[1])];
    return isCalendarDate(year, month, day) ? ukMidnight(year, month, day) : null;
  }
  const time = ISO_DATE_TIME.exec(text);
  if (!time) return null;
  const [
    ,
    year = '',
    month = '',
    day = '',
    hour = '',
    minute = '',
    second = '00',
    fraction = '',
    zone = 'Z',
  ] = time;
  if (!isCalendarDate(Number(year), Number(month), Number(day))) return null;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  // Milliseconds at most: Date reads no finer.
  const date = new Date(
    `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction.slice(0, 4)}${offset}`,
  );
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * A network's names repeat (families, common names), and checking one afresh costs about 12 µs
 * (profanity and moderation lists, the font): an import checks each distinct name once.
 */
function checkNameOnce(raw: string): NameCheck {
  // A name of more than 60 characters is refused anyway; a long field is not worth keeping.
  if (raw.length > NAME_KEPT_LENGTH) return checkName(raw);
  const known = checkedNames.get(raw);
  if (known !== undefined) return known;
  const check = checkName(raw);
  if (checkedNames.size >= NAMES_KEPT) checkedNames.clear();
  checkedNames.set(raw, check);
  return check;
}
const checkedNames = new Map<string, NameCheck>();
const NAMES_KEPT = 50_000;
const NAME_KEPT_LENGTH = 120;

/** What is wrong with a consent source, if anything: a file's rows mostly share a few sources. */
function sourceProblem(source: string): string | null {
  const known = sourceProblems.get(source);
  if (known !== undefined) return known;
  let problem: string | null = null;
  if (source === '') problem = 'the consent source is missing';
  else if (/\p{Cc}/u.test(source)) problem = 'the consent source contains control characters';
  // Counted in code points; never more than in UTF-16 units, so only a long one is counted.
  else if (source.length > MAX_SOURCE_LENGTH && [...source].length > MAX_SOURCE_LENGTH) {
    problem = `the consent source is longer than ${MAX_SOURCE_LENGTH} characters`;
  }
  if (source.length > MAX_SOURCE_LENGTH) return problem;
  if (sourceProblems.size >= SOURCES_KEPT) sourceProblems.clear();
  sourceProblems.set(source, problem);
  return problem;
}
const sourceProblems = new Map<string, string | null>();
const SOURCES_KEPT = 1_000;

function checkRow(record: MemberRecord, now: Date) {
  const problems: string[] = [];
  const rawNumber = record.number;
  const phone = rawNumber === '' ? null : normalisePhone(rawNumber);
  if (rawNumber === '') problems.push('the number is missing');
  else if (!phone) problems.push('the number is not a phone number we can read');

  const rawName = record.name;
  const checked = rawName === '' ? null : checkNameOnce(rawName);
  if (checked && !checked.ok) problems.push(NAME_REASONS[checked.problem]);

  const rawDate = record.consentDate;
  const consentAt = rawDate === '' ? null : parseConsentDate(rawDate);
  if (rawDate === '') problems.push('the consent date is missing');
  else if (!consentAt) problems.push('the consent date is not a date (use YYYY-MM-DD or DD/MM/YYYY)');
  else if (consentAt > now) problems.push('the consent date is in the future');

  const { consentSource } = record;
  const badSource = sourceProblem(consentSource);
  if (badSource) problems.push(badSource);

  if (problems.length > 0 || !phone || !consentAt) return { problems };
  return {
    problems,
    row: {
      phone,
      name: checked?.ok ? checked.name : null,
      held: checked?.ok === true && checked.hold !== null,
      consentAt,
      consentSource,
    },
  };
}

function readHeader(header: string[]): string[] {
  const columns = header.map((column) => column.trim().toLowerCase());
  const repeated = columns.find((column, i) => column !== '' && columns.indexOf(column) !== i);
  if (repeated) throw new AppError(400, 'invalid_csv', `The header names the column "${repeated}" twice.`);
  const missing = REQUIRED_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new AppError(
      400,
      'invalid_csv',
      `The header row lacks ${missing.join(', ')}; it needs the columns ${MEMBER_COLUMNS.join(', ')}.`,
    );
  }
  return columns;
}

/** Our own refusals as they are; csv-parse's as a 400 that names the line but quotes nothing. */
function readError(error: unknown): unknown {
  if (!(error instanceof CsvError)) return error;
  // csv-parse's own messages quote the text around the fault, which may be a number.
  const { lines } = error as CsvError & { lines?: number };
  return new AppError(
    400,
    'invalid_csv',
    `The file cannot be read as CSV near line ${lines ?? '?'} (${error.code}).`,
  );
}

/** Text from the file's bytes as they arrive, with one kind of line break, refused past `maxBytes`. */
async function* textOf(source: MembersFile, maxBytes: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  // A CR at the end of one chunk may start a CRLF that the next one ends.
  let carry = '';
  for await (const chunk of source) {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (bytes > maxBytes) {
      throw new AppError(
        413,
        'file_too_large',
        `A file may be ${Math.floor(maxBytes / 1_000_000)} MB at most; ` +
          'split it and import the parts one after another.',
      );
    }
    let text = carry + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    carry = text.endsWith('\r') ? '\r' : '';
    if (carry) text = text.slice(0, -1);
    if (text.includes('\u0000')) {
      throw new AppError(
        400,
        'invalid_csv',
        'The file holds NUL characters, as UTF-16 files do: save it as CSV in UTF-8 and send it again.',
      );
    }
    yield* pieces(text);
  }
  yield* pieces(carry + decoder.decode());
}

/**
 * Text in pieces of at most 16,000 characters, with one kind of line break (so that csv-parse counts
 * lines the way an editor shows them). csv-parse reads a whole piece at once, so small pieces keep few
 * rows in memory at a time, and none lives long enough to be kept for long by the garbage collector.
 */
function* pieces(text: string): Generator<string> {
  const lines = text.replace(/\r\n?/g, '\n');
  for (let at = 0; at < lines.length; at += PIECE) yield lines.slice(at, at + PIECE);
}
const PIECE = 16_000;

/** The file as its bytes arrive (a request body), or as text already read (a form's field). */
export type MembersFile = AsyncIterable<Buffer | string> | Iterable<string>;

export type MemberLine = { row: MemberRow } | { refusal: Refusal };

/** A row of the file as written, before any check: its line and the four columns' text. */
export interface MemberRecord {
  line: number;
  number: string;
  name: string;
  consentDate: string;
  consentSource: string;
}

/** One row of the file checked: the row to import, or why it is refused (never quoting the number). */
export function checkMemberRecord(record: MemberRecord, now: Date): MemberLine {
  const { line } = record;
  const { problems, row } = checkRow(record, now);
  return row
    ? { row: { line, ...row } }
    : { refusal: { line, reason: `${problems.join('; ')}.`.replace(/^./, (c) => c.toUpperCase()) } };
}

export interface ReadLimits {
  maxRows: number;
  maxBytes: number;
}

/**
 * Reads a members file as it arrives, one checked row at a time, so that a file of any length takes
 * little memory. See readMemberRecords for the file's form and limits.
 */
export async function* readMembersCsv(
  source: MembersFile,
  options: ReadLimits & { now: Date },
): AsyncGenerator<MemberLine> {
  for await (const record of readMemberRecords(source, options)) yield checkMemberRecord(record, options.now);
}

/**
 * csv-parse handing each record straight over, with the line it starts on, rather than through the
 * stream's buffer. csv-parse calls `push` as it reads a record's last line break, when its count of lines
 * is at the record's last line and its count of skipped empty lines takes in those just before the record:
 * what on_record's context tells, without the copy of the whole parse state the context makes per record.
 */
class NumberedParser extends Parser {
  /** Records parsed and not yet taken, and the line each starts on. */
  readonly records: string[][] = [];
  readonly starts: number[] = [];
  /** csv-parse's counts as it handed over the previous record: its last line, the empty lines skipped. */
  private previousEnd = 0;
  private previousEmpty = 0;

  override push(record: string[] | null, encoding?: BufferEncoding): boolean {
    if (record === null) return super.push(record, encoding);
    const { lines, empty_lines } = this.info;
    this.starts.push(this.previousEnd + 1 + empty_lines - this.previousEmpty);
    this.records.push(record);
    this.previousEnd = lines;
    this.previousEmpty = empty_lines;
    return true;
  }
}

/**
 * Reads a members file as it arrives, a row at a time, unchecked: a header row (column names in any
 * case and order; other columns are ignored) and one member a line. Throws a 400 when the file itself
 * cannot be read, a 413 past `maxRows` rows or `maxBytes`.
 */
export async function* readMemberRecords(
  source: MembersFile,
  options: ReadLimits,
): AsyncGenerator<MemberRecord> {
  const parser = new NumberedParser({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    // `to` counts the header too: it, then one row past the limit to refuse.
    to: options.maxRows + 2,
  });
  // A failure is read from `errored` below; unheard, the stream would also throw it at the process.
  parser.on('error', () => {});
  /** Where each of the four columns is in a record; -1, which reads as undefined, when the header lacks it. */
  let at: number[] | undefined;
  let count = 0;
  /** The rows parsed so far, each at once: csv-parse is driven by hand, without a stream pipeline's cost. */
  function* parsed(): Generator<MemberRecord> {
    const { records, starts } = parser;
    let next = 0;
    // A header read before csv-parse failed further on is refused first, as it would be read first.
    if (!at && records.length > 0) {
      const columns = readHeader(records[next++] ?? []);
      at = MEMBER_COLUMNS.map((column) => columns.indexOf(column));
    }
    if (parser.errored) throw readError(parser.errored);
    const [number = -1, name = -1, consentDate = -1, consentSource = -1] = at ?? [];
    for (; next < records.length; next++) {
      if (++count > options.maxRows) {
        throw new AppError(
          413,
          'too_many_rows',
          `A file may hold ${options.maxRows} members at most; ` +
            'split it and import the parts one after another.',
        );
      }
      const record = records[next] ?? [];
      yield {
        line: starts[next] ?? 0,
        number: record[number] ?? '',
        name: record[name] ?? '',
        consentDate: record[consentDate] ?? '',
        consentSource: record[consentSource] ?? '',
      };
    }
    records.length = 0;
    starts.length = 0;
  }
  try {
    for await (const piece of textOf(source, options.maxBytes)) {
      parser.write(piece);
      yield* parsed();
    }
    await new Promise((resolve) => parser.end(resolve));
    yield* parsed();
  } catch (error) {
    throw readError(error);
  } finally {
    parser.destroy();
  }
  if (!at) {
    throw new AppError(
      400,
      'invalid_csv',
      `The file is empty; it needs a header row: ${MEMBER_COLUMNS.join(',')}.`,
    );
  }
}
