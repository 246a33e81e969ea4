/** Reading fax documents back with poppler-utils (pdftotext, pdfinfo), as a reader of the fax would. */
import { execFileSync } from 'node:child_process';
import { FAX_LAYOUT } from '../../src/fax/layout.js';

export function pdfPages(file: string): number {
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  return Number(/^Pages:\s+(\d+)/mu.exec(info)?.[1]);
}

/** The text of a document or of one page, laid out; `crop` is pdftotext's -x -y -W -H, in points. */
export function pdfText(file: string, page?: number, crop: string[] = []): string {
  const range = page === undefined ? [] : ['-f', String(page), '-l', String(page)];
  return execFileSync('pdftotext', ['-layout', ...range, ...crop, file, '-'], { encoding: 'utf8' }).replace(
    /\f/gu,
    '',
  );
}

/** The crop of one column of signatories, so that a column is read on its own, in reading order. */
export function columnCrop(column: number): string[] {
  const x = FAX_LAYOUT.sideMargin + column * (FAX_LAYOUT.columnWidth + FAX_LAYOUT.columnGap);
  return [
    ['-x', Math.floor(x - 2)],
    ['-y', Math.floor(FAX_LAYOUT.namesTop - 2)],
    ['-W', Math.floor(FAX_LAYOUT.columnWidth + FAX_LAYOUT.columnGap / 2)],
    ['-H', Math.ceil(FAX_LAYOUT.pageHeight - FAX_LAYOUT.namesTop)],
  ].flatMap(([flag, value]) => [String(flag), String(value)]);
}

/**
 * A signatory's entry, "1,234. Name": digits grouped as in the letter, by "," or (Russian) a no-break
 * space, which pdftotext reads as a space.
 */
export const ENTRY = /^\s*(\d{1,3}(?:[, \u00a0]\d{3})*)\. (.+)$/u;
export const entryNumber = (text: string) => Number(text.replace(/[, \u00a0]/gu, ''));

/** The numbered signatories of a part, read back column by column from the pages after the letter. */
export function readSignatories(file: string): Array<{ number: number; name: string }> {
  const entries: Array<{ number: number; name: string }> = [];
  for (let page = 2; page <= pdfPages(file); page++) {
    for (let column = 0; column < FAX_LAYOUT.columns; column++) {
      for (const line of pdfText(file, page, columnCrop(column)).split('\n')) {
        if (line.trim() === '') continue;
        const start = ENTRY.exec(line);
        const last = entries[entries.length - 1];
        if (start)
          entries.push({ number: entryNumber(start[1] as string), name: (start[2] as string).trim() });
        else if (last) last.name += last.name.endsWith('-') ? line.trim() : ` ${line.trim()}`;
      }
    }
  }
  return entries;
}
