import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAX_FONT_SIZE,
  FAX_LAYOUT,
  type FaxDocumentInput,
  type FaxPart,
  planFax,
  signatoryPageSizes,
} from '../../src/fax/layout.js';
import { renderFaxPart, renderFaxPartToBuffer } from '../../src/fax/render.js';
import { columnCrop, ENTRY, entryNumber, pdfPages, pdfText } from './pdf.js';
import { realisticNames } from './realistic-names.js';

// Reading the PDFs back needs poppler-utils (pdftotext, pdftoppm, pdfinfo); CI installs it.

const LONG_NAME = 'Alexandra Konstantinovna Rimskaya-Korsakova-Vasilchikova Jnr';
const LONG_WORD = 'Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewis';
const MIXED = [
  'Jane Smith',
  'Жанна Смирнова',
  'José Álvarez',
  'Ольга Петрова-Водкина',
  "Siobhán O'Neil",
  LONG_NAME,
  LONG_WORD,
];

const PARAGRAPH =
  'We are writing to express our grave concern for the safety of the lawyer Magamed Abubakarov, who has ' +
  'received repeated death threats after defending clients in politically sensitive cases. We urge you to ' +
  'open an effective investigation into these threats and to bring those responsible to justice.';

function faxInput(names: readonly string[], extra: Partial<FaxDocumentInput> = {}): FaxDocumentInput {
  return {
    orgName: 'Amnesty International UK',
    reference: 'UA 123/26',
    title: 'Russia: lawyer threatened',
    subject: 'Protect lawyer Magamed Abubakarov',
    // ~300 words, a typical letter.
    letterBody: Array.from({ length: 6 }, () => PARAGRAPH).join('\n\n'),
    // 23:30 in London is already the next day in Moscow.
    date: new Date('2026-11-21T23:30:00Z'),
    timezone: 'Europe/Moscow',
    recipient: {
      name: 'Igor Krasnov',
      title: 'Prosecutor General',
      organisation: 'Prosecutor General’s Office of the Russian Federation',
      address: 'ul. Bolshaya Dmitrovka 15a\nMoscow 125993\nRussian Federation',
      salutation: 'Dear Prosecutor General',
      faxNumbers: ['+74951234567'],
      emails: [],
    },
    names,
    maxPages: 100,
    ...extra,
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fax-document-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
async function renderToFile(input: FaxDocumentInput, part: FaxPart): Promise<string> {
  const file = join(dir, `fax-${++fileCount}.pdf`);
  await renderFaxPart(input, part, createWriteStream(file));
  return file;
}

// Netpbm output of pdftoppm: P5 (8-bit grey, after a maxval of 255) or P4 (1 bit per pixel, 1 = black).
function readNetpbm(file: string, magic: 'P4' | 'P5'): { width: number; height: number; data: Buffer } {
  const image = readFileSync(file);
  const maxval = magic === 'P5' ? '255\\s' : '';
  const header = new RegExp(`^${magic}\\s+(\\d+)\\s+(\\d+)\\s${maxval}`, 'u').exec(
    image.subarray(0, 40).toString('latin1'),
  );
  if (!header) throw new Error(`not a ${magic} image: ${file}`);
  return { width: Number(header[1]), height: Number(header[2]), data: image.subarray(header[0].length) };
}

const collapse = (text: string) => text.replace(/\s+/gu, ' ').trim();

interface Entry {
  number: number;
  name: string;
  lines: number;
}

// Reads each column of each signatory page on its own (pdftotext crops in points at 72 dpi), so entries
// come out in reading order and continuation lines stay with their entry.
function readEntries(file: string, fromPage: number): Entry[][] {
  const pages: Entry[][] = [];
  for (let page = fromPage; page <= pdfPages(file); page++) {
    const entries: Entry[] = [];
    for (let column = 0; column < FAX_LAYOUT.columns; column++) {
      for (const line of pdfText(file, page, columnCrop(column)).split('\n')) {
        if (line.trim() === '') continue;
        const start = ENTRY.exec(line);
        const last = entries[entries.length - 1];
        if (start) {
          entries.push({
            number: entryNumber(start[1] as string),
            name: (start[2] as string).trim(),
            lines: 1,
          });
        } else if (last) {
          // A name breaks after a space (dropped) or a hyphen (kept) or, for one over-long word, anywhere.
          last.name += last.name.endsWith('-') ? line.trim() : ` ${line.trim()}`;
          last.lines++;
        } else {
          throw new Error(`continuation line before any entry: ${line}`);
        }
      }
    }
    pages.push(entries);
  }
  return pages;
}

function expectEntries(found: Entry[], names: readonly string[]): void {
  expect(found.map((entry) => entry.number)).toEqual(names.map((_, index) => index + 1));
  found.forEach((entry, index) => {
    const expected = names[index] as string;
    if (entry.lines === 1) expect(entry.name).toBe(expected);
    // Across a line break only the position of the break is lost.
    else expect(entry.name.replace(/\s/gu, '')).toBe(expected.replace(/\s/gu, ''));
  });
}

describe('a single part', () => {
  const names = [...MIXED, ...realisticNames(400)];
  const input = faxInput(names);
  let file: string;
  let part: FaxPart;

  beforeAll(async () => {
    [part] = planFax(input) as [FaxPart];
    file = await renderToFile(input, part);
  });

  it('is planned as one part holding every name', () => {
    expect(planFax(input)).toEqual([{ part: 1, parts: 1, firstName: 0, nameCount: names.length, pages: 3 }]);
    expect(pdfPages(file)).toBe(part.pages);
  });

  it('starts with the letter: sender, date, recipient, reference, subject, salutation, body, signatories', () => {
    const letter = collapse(pdfText(file, 1));
    const inOrder = [
      'Amnesty International UK',
      '22 November 2026',
      'Igor Krasnov Prosecutor General Prosecutor General’s Office of the Russian Federation',
      'ul. Bolshaya Dmitrovka 15a Moscow 125993 Russian Federation',
      'Reference: UA 123/26',
      'Protect lawyer Magamed Abubakarov',
      'Dear Prosecutor General,',
      'We are writing to express our grave concern',
      'Yours faithfully,',
      'This letter is signed by 407 supporters of Amnesty International UK, listed on the following pages.',
    ];
    let position = 0;
    for (const text of inOrder) {
      const found = letter.indexOf(text, position);
      expect(found, text).toBeGreaterThanOrEqual(0);
      position = found + text.length;
    }
    expect(letter).not.toMatch(/Dear Dear|RESENT|part 1 of/iu);
  });

  it('lists every name exactly once, in order, with its number', () => {
    const pages = readEntries(file, 2);
    expectEntries(pages.flat(), names);
    // Too wide for a column: continued on the next lines, never cut off.
    expect(pages.flat()[5]?.lines).toBeGreaterThan(1);
    expect(pages.flat()[6]?.lines).toBeGreaterThan(1);
  });

  it('heads every page with reference, section and page X of Y', () => {
    for (let page = 1; page <= part.pages; page++) {
      const header = pdfText(file, page).trimStart().split('\n')[0] ?? '';
      const section = page === 1 ? 'letter' : 'signatories';
      expect(header).toMatch(new RegExp(`^UA 123/26 — ${section} — page ${page} of ${part.pages}\\b`, 'u'));
    }
    expect(pdfText(file, 2)).toContain('nos. 1–');
  });

  it('is the same whether streamed to a slow reader or collected in a buffer', async () => {
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        setTimeout(done, 1);
      },
    });
    await renderFaxPart(input, part, slow);
    expect(Buffer.concat(chunks).equals(await renderFaxPartToBuffer(input, part))).toBe(true);
    expect(Buffer.concat(chunks).equals(readFileSync(file))).toBe(true);
  });
});

describe('a batch over maxPages', () => {
  const names = [...MIXED, ...realisticNames(3000)];
  const input = faxInput(names, { maxPages: 4, reference: null });
  const parts = planFax(input);
  let files: string[];

  beforeAll(async () => {
    files = await Promise.all(parts.map((part) => renderToFile(input, part)));
  });

  it('is split into parts of at most maxPages pages that cover the names in order', () => {
    expect(parts.length).toBeGreaterThan(2);
    let next = 0;
    parts.forEach((part, index) => {
      expect(part).toMatchObject({ part: index + 1, parts: parts.length, firstName: next });
      expect(part.pages).toBeLessThanOrEqual(4);
      expect(pdfPages(files[index] as string)).toBe(part.pages);
      next += part.nameCount;
    });
    expect(next).toBe(names.length);
  });

  it('starts each part with a letter saying which part and which signatories it carries', () => {
    parts.forEach((part, index) => {
      const letter = collapse(pdfText(files[index] as string, 1));
      const first = (part.firstName + 1).toLocaleString('en-GB');
      const last = (part.firstName + part.nameCount).toLocaleString('en-GB');
      expect(letter).toContain(
        `Part ${part.part} of ${parts.length}. Signatories ${first}–${last} of 3,007.`,
      );
      expect(letter).toContain('This letter is signed by 3,007 supporters of Amnesty International UK');
      expect(letter).toContain('Dear Prosecutor General,');
    });
  });

  it('numbers the names on across the parts, each name once', () => {
    const found = parts.flatMap((_, index) => readEntries(files[index] as string, 2).flat());
    expectEntries(found, names);
  });

  it('heads every page with the title (there is no reference), page X of Y of its part, and the part', () => {
    parts.forEach((part, index) => {
      for (let page = 1; page <= part.pages; page++) {
        const header =
          pdfText(files[index] as string, page)
            .trimStart()
            .split('\n')[0] ?? '';
        const section = page === 1 ? 'letter' : 'signatories';
        expect(header).toMatch(
          new RegExp(
            `^Russia: lawyer threatened — ${section} — page ${page} of ${part.pages} .*part ${part.part} of ${parts.length}`,
            'u',
          ),
        );
      }
    });
  });
});

describe('density', () => {
  it('puts at least 280 realistic names on every full page, at 8 pt or more', async () => {
    const names = realisticNames(2000);
    const input = faxInput(names);
    const [part] = planFax(input) as [FaxPart];
    const pages = readEntries(await renderToFile(input, part), 2);
    expect(FAX_FONT_SIZE).toBeGreaterThanOrEqual(8);
    expect(pages.map((entries) => entries.length)).toEqual(signatoryPageSizes(names));
    for (const entries of pages.slice(0, -1)) expect(entries.length).toBeGreaterThanOrEqual(280);
  });
});

describe('the letter', () => {
  it('says RESENT when a part is sent again', async () => {
    const input = faxInput(realisticNames(50), { resent: true });
    const [part] = planFax(input) as [FaxPart];
    const letter = collapse(pdfText(await renderToFile(input, part), 1));
    expect(letter).toContain('RESENT — this fax was interrupted and is sent again in full.');

    const split = faxInput(realisticNames(3000), { resent: true, maxPages: 5 });
    const second = planFax(split)[1] as FaxPart;
    const secondLetter = collapse(pdfText(await renderToFile(split, second), 1));
    expect(secondLetter).toContain('RESENT — this part was interrupted and is sent again in full.');
  });

  it('continues a long letter on a second page, counted in the pages', async () => {
    const input = faxInput(realisticNames(500), {
      letterBody: Array.from({ length: 14 }, () => PARAGRAPH).join('\n\n'),
    });
    const [part] = planFax(input) as [FaxPart];
    const file = await renderToFile(input, part);
    expect(part.pages).toBe(2 + signatoryPageSizes(input.names).length);
    expect(pdfText(file, 2)).toMatch(new RegExp(`UA 123/26 — letter — page 2 of ${part.pages}`, 'u'));
    expect(collapse(pdfText(file, 2))).toContain('This letter is signed by 500 supporters');
    expectEntries(readEntries(file, 3).flat(), input.names);
  });

  it('is a letter page alone when nobody has signed yet', async () => {
    const input = faxInput([]);
    const parts = planFax(input);
    expect(parts).toEqual([{ part: 1, parts: 1, firstName: 0, nameCount: 0, pages: 1 }]);
    expect(pdfPages(await renderToFile(input, parts[0] as FaxPart))).toBe(1);
  });
});

describe('what the fax machine gets', () => {
  // Content streams of the pages: the only place a PDF draws anything (images, shadings and form
  // XObjects are invoked from here too).
  function contentStreams(pdf: Buffer): string[] {
    const raw = pdf.toString('latin1');
    const contents = new Set([...raw.matchAll(/\/Contents (\d+) 0 R/gu)].map((match) => match[1]));
    const streams: string[] = [];
    for (const match of raw.matchAll(/(\d+) 0 obj\s*(<<[^<>]*>>)\s*stream\n/gu)) {
      if (!contents.has(match[1])) continue;
      const dictionary = match[2] as string;
      const start = (match.index as number) + match[0].length;
      const data = pdf.subarray(start, start + Number(/\/Length (\d+)/u.exec(dictionary)?.[1]));
      streams.push((dictionary.includes('/FlateDecode') ? inflateSync(data) : data).toString('latin1'));
    }
    return streams;
  }

  function operators(content: string): Array<{ operator: string; operands: string[] }> {
    const found: Array<{ operator: string; operands: string[] }> = [];
    let operands: string[] = [];
    for (const token of content.replace(/<[0-9A-Fa-f\s]*>/gu, ' <> ').split(/\s+/u)) {
      if (token === '') continue;
      if (/^[A-Za-z'"*]+$/u.test(token)) {
        found.push({ operator: token, operands });
        operands = [];
      } else operands.push(token);
    }
    return found;
  }

  let pdf: Buffer;
  let file: string;
  beforeAll(async () => {
    const input = faxInput([...MIXED, ...realisticNames(700)], { resent: true, maxPages: 3 });
    pdf = await renderFaxPartToBuffer(input, planFax(input)[0] as FaxPart);
    file = join(dir, 'black.pdf');
    writeFileSync(file, pdf);
  });

  // Sound by construction: with no images, shadings, patterns or transparency, ink can only come from the
  // colours set in the content streams, and every one of those is black.
  it('draws in pure black only, and nothing but text', () => {
    const raw = pdf.toString('latin1');
    // (pdfkit lists the obsolete /ProcSet [... /ImageB ...] on every page; it draws nothing.)
    expect(raw).not.toMatch(/\/Subtype\s*\/Image|\/Pattern|\/Shading|\/SMask|\/ExtGState|\/XObject/u);
    const used = contentStreams(pdf).flatMap(operators);
    expect(used.length).toBeGreaterThan(100);
    const allowed = new Set(['q', 'Q', 'cm', 'BT', 'ET', 'Tf', 'Tm', 'Tj', 'g', 'G']);
    expect(used.filter(({ operator }) => !allowed.has(operator))).toEqual([]);
    for (const { operator, operands } of used) {
      if (operator === 'g' || operator === 'G') expect(operands).toEqual(['0']);
      if (operator === 'Tf') expect(Number(operands[1])).toBeGreaterThanOrEqual(8);
    }
  });

  // A second, independent look: rasterised without anti-aliasing, any non-black ink would show up as grey.
  it('rasterises to black and white pixels only', () => {
    const prefix = join(dir, 'gray');
    execFileSync('pdftoppm', [
      '-gray',
      '-aa',
      'no',
      '-aaVector',
      'no',
      '-r',
      '100',
      '-f',
      '1',
      '-l',
      '2',
      file,
      prefix,
    ]);
    for (const page of ['1', '2']) {
      const { width, height, data } = readNetpbm(`${prefix}-${page}.pgm`, 'P5');
      expect(data.length).toBe(width * height);
      expect(data.every((value) => value === 0 || value === 255)).toBe(true);
      expect(data.includes(0)).toBe(true);
    }
  });

  it('keeps the top 0.6 inch clear for the sending machine’s header line, 10 mm at the other edges, and every page A4', () => {
    const boxes = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' });
    const pages = [...boxes.matchAll(/<page width="([\d.]+)" height="([\d.]+)">/gu)];
    expect(pages.length).toBe(pdfPages(file));
    for (const [, width, height] of pages) expect([Number(width), Number(height)]).toEqual([595.28, 841.89]);
    const words = [
      ...boxes.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">/gu),
    ];
    expect(words.length).toBeGreaterThan(500);
    for (const [, xMin, yMin, xMax, yMax] of words) {
      // Fax machines clip the paper's edges: 10 mm is 28.35 pt.
      expect(Number(yMin)).toBeGreaterThanOrEqual(43.2);
      expect(Number(xMin)).toBeGreaterThanOrEqual(28.35);
      expect(Number(xMax)).toBeLessThanOrEqual(595.28 - 28.35);
      expect(Number(yMax)).toBeLessThanOrEqual(841.89 - 28.35);
    }
  });

  // Fax fine mode: 204 dpi across, 196 lines per inch down, one bit per pixel. The lines of a column
  // must stay apart there (the page was also looked at by eye: every name reads cleanly).
  it('keeps the lines of a column apart in fax fine mode', () => {
    const prefix = join(dir, 'fine');
    execFileSync('pdftoppm', ['-mono', '-rx', '204', '-ry', '196', '-f', '2', '-l', '2', file, prefix]);
    const { width, data: bits } = readNetpbm(`${prefix}-2.pbm`, 'P4');
    const rowBytes = Math.ceil(width / 8);
    const left = Math.floor((FAX_LAYOUT.sideMargin * 204) / 72);
    const right = Math.ceil(((FAX_LAYOUT.sideMargin + FAX_LAYOUT.columnWidth) * 204) / 72);
    const inked = (row: number) => {
      for (let x = left; x < right; x++) {
        if ((bits[row * rowBytes + (x >> 3)] as number) & (0x80 >> (x & 7))) return true;
      }
      return false;
    };
    let bands = 0;
    let inBand = false;
    const top = Math.floor((FAX_LAYOUT.namesTop * 196) / 72);
    const bottom = Math.ceil((FAX_LAYOUT.pageHeight * 196) / 72) - 1;
    for (let row = top; row < bottom; row++) {
      const ink = inked(row);
      if (ink && !inBand) bands++;
      inBand = ink;
    }
    const lines = pdfText(file, 2, ['-x', '18', '-y', '56', '-W', '136', '-H', '790'])
      .split('\n')
      .filter((line) => line.trim() !== '').length;
    expect(lines).toBeGreaterThan(70);
    // An accent may form a band of its own; an accented capital touching a descender above may join two.
    expect(bands).toBeGreaterThanOrEqual(lines - 2);
  });
});

describe('planFax and renderFaxPart', () => {
  it('refuse maxPages below 2 and a part that does not fit the names', async () => {
    expect(() => planFax(faxInput(['Jane Smith'], { maxPages: 1 }))).toThrow(RangeError);
    const input = faxInput(realisticNames(1000));
    const [part] = planFax(input) as [FaxPart];
    await expect(renderFaxPartToBuffer(input, { ...part, pages: part.pages + 1 })).rejects.toThrow(
      RangeError,
    );
    await expect(renderFaxPartToBuffer(input, { ...part, nameCount: 1001 })).rejects.toThrow(RangeError);
  });

  it('rejects, without hanging, when the output fails half-way', async () => {
    const input = faxInput(realisticNames(5000));
    const [part] = planFax(input) as [FaxPart];
    let written = 0;
    const failing = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        done(written > 20_000 ? new Error('line dropped') : null);
      },
    });
    await expect(renderFaxPart(input, part, failing)).rejects.toThrow('line dropped');
  });
});
