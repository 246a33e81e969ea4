import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import {
  type MemberRecord,
  type MemberRow,
  type MembersFile,
  parseConsentDate,
  type Refusal,
  readMemberRecords,
  readMembersCsv,
} from '../../src/members/csv.js';

const NOW = new Date('2025-06-15T12:00:00Z');

/** Every row and refusal of a file, given whole or in the chunks it arrives in. */
async function read(file: MembersFile | string, limits: { maxRows?: number; maxBytes?: number } = {}) {
  const rows: MemberRow[] = [];
  const refused: Refusal[] = [];
  const source = typeof file === 'string' ? [file] : file;
  for await (const line of readMembersCsv(source, {
    now: NOW,
    maxRows: 1000,
    maxBytes: 1_000_000,
    ...limits,
  })) {
    if ('row' in line) rows.push(line.row);
    else refused.push(line.refusal);
  }
  return { rows, refused };
}

async function refusal(file: MembersFile | string, limits: { maxRows?: number; maxBytes?: number } = {}) {
  try {
    await read(file, limits);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

/** A file's bytes cut at the given offsets, as a request body arrives. */
async function* chunks(text: string, cuts: number[]) {
  const bytes = Buffer.from(text);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(from, cut);
    from = cut;
  }
}

describe('parseConsentDate', () => {
  it('reads a day as midnight in the UK, in winter and in summer time', () => {
    expect(parseConsentDate('2024-01-15')?.toISOString()).toBe('2024-01-15T00:00:00.000Z');
    expect(parseConsentDate('15/01/2024')?.toISOString()).toBe('2024-01-15T00:00:00.000Z');
    expect(parseConsentDate('2024-07-01')?.toISOString()).toBe('2024-06-30T23:00:00.000Z');
    expect(parseConsentDate('1/7/2024')?.toISOString()).toBe('2024-06-30T23:00:00.000Z');
  });

  it('reads ISO date-times, with a zone or as UTC without one', () => {
    expect(parseConsentDate('2024-07-01T10:00:00+02:00')?.toISOString()).toBe('2024-07-01T08:00:00.000Z');
    expect(parseConsentDate('2024-07-01 10:00')?.toISOString()).toBe('2024-07-01T10:00:00.000Z');
    expect(parseConsentDate('2024-07-01T10:00:05.123456Z')?.toISOString()).toBe('2024-07-01T10:00:05.123Z');
  });

  it('refuses what is not a calendar date', () => {
    for (const text of [
      '2024-13-01',
      '31/02/2024',
      '2023-02-29',
      'yesterday',
      '2024-07-01T25:00Z',
      '07/2024',
    ]) {
      expect(parseConsentDate(text), text).toBeNull();
    }
    expect(parseConsentDate('2024-02-29')).not.toBeNull();
  });
});

describe('readMembersCsv', () => {
  it('reads members in any column order and case, normalising numbers and names', async () => {
    const { rows, refused } = await read(
      [
        'Consent_Source,NAME,Number,consent_date,notes',
        'web form,JANE SMITH,07700 900123,2024-01-15,ignored',
        'street stall,siobhán o’neil,+44 7700 900124,15/01/2024,',
        'event,,447700900125,2024-01-15T09:30:00Z,',
      ].join('\n'),
    );
    expect(refused).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        phone: '+447700900123',
        name: 'Jane Smith',
        held: false,
        consentAt: new Date('2024-01-15T00:00:00Z'),
        consentSource: 'web form',
      },
      expect.objectContaining({ line: 3, phone: '+447700900124', name: 'Siobhán O’Neil' }),
      expect.objectContaining({ line: 4, phone: '+447700900125', name: null, consentSource: 'event' }),
    ]);
  });

  it('refuses bad rows with their line and every reason, never echoing the number', async () => {
    const { rows, refused } = await read(
      [
        'number,name,consent_date,consent_source',
        '12345,Bad Number,2024-01-15,web',
        '07700900130,R2D2 Droid,2024-01-15,web',
        '07700900131,No Date,,web',
        '07700900132,Future Date,2025-06-16,web',
        '07700900133,Bad Date,31/02/2024,web',
        '07700900134,No Source,2024-01-15,',
        ',,,',
        'call me maybe,J,tomorrow,web',
      ].join('\n'),
    );
    expect(rows).toEqual([]);
    expect(refused).toEqual([
      { line: 2, reason: 'The number is not a phone number we can read.' },
      { line: 3, reason: 'The name contains digits.' },
      { line: 4, reason: 'The consent date is missing.' },
      { line: 5, reason: 'The consent date is in the future.' },
      { line: 6, reason: 'The consent date is not a date (use YYYY-MM-DD or DD/MM/YYYY).' },
      { line: 7, reason: 'The consent source is missing.' },
      {
        line: 8,
        reason: 'The number is missing; the consent date is missing; the consent source is missing.',
      },
      {
        line: 9,
        reason:
          'The number is not a phone number we can read; the name is too short (2 characters at least); ' +
          'the consent date is not a date (use YYYY-MM-DD or DD/MM/YYYY).',
      },
    ]);
    for (const { reason } of refused) expect(reason).not.toMatch(/\d{4}/);
  });

  it('keeps a name the fax would hold, flagged', async () => {
    const { rows } = await read(
      [
        'number,name,consent_date,consent_source',
        '07700900140,Fuck Face,2024-01-15,web',
        '07700900141,محمد علي,2024-01-15,web',
        '07700900142,Jane Smith,2024-01-15,web',
      ].join('\n'),
    );
    expect(rows.map((r) => [r.phone, r.held])).toEqual([
      ['+447700900140', true],
      ['+447700900141', true],
      ['+447700900142', false],
    ]);
  });

  it('counts lines as an editor shows them: CRLF, blank lines, a quoted field over two lines', async () => {
    const { refused } = await read(
      [
        '\uFEFFnumber,name,consent_date,consent_source',
        '',
        '07700900160,"Ann',
        'Lee",2024-01-15,web',
        '   ',
        '07700900161,Bad1,2024-01-15,web',
        '07700900162,Bad2,2024-01-15,web',
      ].join('\r\n'),
    );
    expect(refused.map((r) => r.line)).toEqual([6, 7]);
  });

  it('reads a file however its bytes are cut: a CRLF or a letter split between chunks', async () => {
    const file =
      'number,name,consent_date,consent_source\r\n07700900190,Siobhán Lee,2024-01-15,web\r\nx,Bad,2024-01-15,web\r\n';
    const crlf = file.indexOf('\r\n') + 1;
    const accent = Buffer.from(file).indexOf(Buffer.from('á')) + 1;
    for (const cuts of [[crlf], [accent], [crlf, accent], Array.from({ length: 90 }, (_, i) => i + 1)]) {
      const { rows, refused } = await read(chunks(file, cuts));
      expect(
        rows.map((r) => [r.line, r.name]),
        String(cuts),
      ).toEqual([[2, 'Siobhán Lee']]);
      expect(
        refused.map((r) => r.line),
        String(cuts),
      ).toEqual([3]);
    }
  });

  it('refuses a file it cannot read as a whole, saying what is wrong', async () => {
    expect(await refusal('')).toMatchObject({ statusCode: 400, code: 'invalid_csv' });
    expect(await refusal('\uFEFF  \n\n')).toMatchObject({ statusCode: 400, code: 'invalid_csv' });
    expect((await refusal('number,name\n07700900170,Jane Smith')).message).toBe(
      'The header row lacks consent_date, consent_source; it needs the columns number, name, consent_date, consent_source.',
    );
    expect((await refusal('number,Number,consent_date,consent_source\n')).message).toMatch(/"number" twice/);
    const unclosed = await refusal(
      'number,name,consent_date,consent_source\n"07700900171,Jane,2024-01-01,web\n',
    );
    expect(unclosed).toMatchObject({ statusCode: 400, code: 'invalid_csv' });
    expect(unclosed.message).not.toContain('07700900171');
    // A UTF-16 export: every other byte is NUL.
    const utf16 = await refusal(
      (async function* () {
        yield Buffer.from('number,name,consent_date,consent_source\n', 'utf16le');
      })(),
    );
    expect(utf16).toMatchObject({ statusCode: 400, code: 'invalid_csv' });
    expect(utf16.message).toContain('UTF-8');
  });

  it('refuses more rows or bytes than allowed with a 413, and accepts a header alone', async () => {
    const csv = `number,consent_date,consent_source\n${'07700900180,2024-01-01,web\n'.repeat(4)}`;
    expect((await read(csv, { maxRows: 4 })).rows).toHaveLength(4);
    expect(await refusal(csv, { maxRows: 3 })).toMatchObject({ statusCode: 413, code: 'too_many_rows' });
    expect(await refusal(chunks(csv, [40]), { maxBytes: 100 })).toMatchObject({
      statusCode: 413,
      code: 'file_too_large',
    });
    expect(await read('number,name,consent_date,consent_source\n')).toEqual({ rows: [], refused: [] });
  });
});

/** Every record of a file as written, unchecked. */
async function records(file: MembersFile | string, maxRows = 10_000) {
  const read: MemberRecord[] = [];
  const source = typeof file === 'string' ? [file] : file;
  for await (const record of readMemberRecords(source, { maxRows, maxBytes: 10_000_000 })) read.push(record);
  return read;
}

async function recordsRefusal(file: MembersFile | string, maxRows = 10_000) {
  try {
    await records(file, maxRows);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

function record(
  line: number,
  number: string,
  name: string,
  consentDate = '2024-01-15',
  consentSource = 'web',
) {
  return { line, number, name, consentDate, consentSource };
}

describe('readMemberRecords', () => {
  const awkward = [
    '\uFEFFnumber,name,consent_date,consent_source',
    '',
    '07700900201,Ann Lee,2024-01-15,web',
    '   ',
    '07700900202,"Bea',
    'Lee",2024-01-15,web',
    '07700900203,"Cy',
    '',
    'Twombly",2024-01-15,web',
    '07700900204,"Di',
    'de',
    'Ng",2024-01-15,web',
    '\t',
    '07700900205,Ed Ek,2024-01-15,web',
    '',
    '  ',
  ];
  const awkwardRecords = [
    record(3, '07700900201', 'Ann Lee'),
    record(5, '07700900202', 'Bea\nLee'),
    record(7, '07700900203', 'Cy\n\nTwombly'),
    record(10, '07700900204', 'Di\nde\nNg'),
    record(14, '07700900205', 'Ed Ek'),
  ];

  it('numbers each row by the line it starts on, whatever the line breaks, blank lines and quoted lines', async () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      for (const end of [eol, '']) {
        const file = awkward.join(eol) + end;
        expect(await records(file), JSON.stringify([eol, end])).toEqual(awkwardRecords);
        // A byte at a time: every line break and quote falls between two chunks.
        const cuts = Array.from({ length: Buffer.byteLength(file) - 1 }, (_, i) => i + 1);
        expect(await records(chunks(file, cuts)), JSON.stringify([eol, end])).toEqual(awkwardRecords);
      }
    }
  });

  it('ends at the last row when the file has no final line break, and after a header alone', async () => {
    expect(
      await records('number,name,consent_date,consent_source\n07700900210,Al Bo,2024-01-15,web'),
    ).toEqual([record(2, '07700900210', 'Al Bo')]);
    expect(await records('number,name,consent_date,consent_source')).toEqual([]);
  });

  it('reads the columns by name in any case and order, ignoring others, blank where a row stops short', async () => {
    const file = [
      '',
      '  ',
      ' Consent_SOURCE ,Notes,NAME,Consent_Date, NUMBER ',
      'web,called twice,Al Bo,2024-01-15,07700900220',
      'stall,,Cy Di,15/01/2024,07700900221,extra,more',
      'event,"a note',
      'over two lines",Ed Ek',
      'post',
      'paper,x,Fi Gu,2024-01-16,07700900222',
    ].join('\n');
    expect(await records(file)).toEqual([
      record(4, '07700900220', 'Al Bo', '2024-01-15', 'web'),
      record(5, '07700900221', 'Cy Di', '15/01/2024', 'stall'),
      record(6, '', 'Ed Ek', '', 'event'),
      record(8, '', '', '', 'post'),
      record(9, '07700900222', 'Fi Gu', '2024-01-16', 'paper'),
    ]);
  });

  it('numbers a row by its first line when a quoted field past the header spans lines', async () => {
    const file = [
      'number,name,consent_date,consent_source',
      '07700900225,Al Bo,2024-01-15,web,"a note',
      'over two lines"',
      '07700900226,Cy Di,2024-01-15,web',
    ].join('\n');
    expect(await records(file)).toEqual([
      record(2, '07700900225', 'Al Bo'),
      record(4, '07700900226', 'Cy Di'),
    ]);
  });

  it('reads a line of empty fields, or one empty quoted field, as a row of blanks', async () => {
    const file = [
      'number,name,consent_date,consent_source',
      '""',
      ' "" ',
      ',,,',
      '07700900230,Al Bo,2024-01-15,web',
    ];
    expect(await records(file.join('\n'))).toEqual([
      record(2, '', '', '', ''),
      record(3, '', '', '', ''),
      record(4, '', '', '', ''),
      record(5, '07700900230', 'Al Bo'),
    ]);
  });

  it('numbers rows right across a long file arriving in uneven chunks', async () => {
    const lines = ['number,name,consent_date,consent_source'];
    const expected: MemberRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 11 === 0) lines.push(i % 2 ? '' : '   ');
      const number = `0770090${String(i).padStart(4, '0')}`;
      const name = i % 7 === 0 ? `Al\nBo ${'x'.repeat(i % 13)}` : `Cy Di ${'y'.repeat(i % 17)}`;
      expected.push(record(lines.length + 1, number, name));
      lines.push(...`${number},"${name}",2024-01-15,web`.split('\n'));
    }
    const file = lines.join('\r\n');
    const cuts = Array.from({ length: Math.floor(Buffer.byteLength(file) / 997) }, (_, i) => (i + 1) * 997);
    expect(await records(chunks(file, cuts))).toEqual(expected);
    expect(await records(file)).toEqual(expected);
  });

  it('names the line where a file stops being CSV, and a bad header before anything after it', async () => {
    const header = 'number,name,consent_date,consent_source';
    expect(
      (await recordsRefusal(`${header}\n07700900240,Al,2024-01-15,web\n\n"07700900241,Bo\n`)).message,
    ).toBe('The file cannot be read as CSV near line 4 (CSV_QUOTE_NOT_CLOSED).');
    expect((await recordsRefusal(`${header}\n\n07700900242,"Al"x,2024-01-15,web\n`)).message).toBe(
      'The file cannot be read as CSV near line 3 (CSV_INVALID_CLOSING_QUOTE).',
    );
    expect((await recordsRefusal('number,name\n07700900243,"Al"x,2024-01-15,web\n')).message).toMatch(
      /^The header row lacks consent_date, consent_source/,
    );
    expect((await recordsRefusal('\n""\n')).message).toMatch(/^The header row lacks number, consent_date/);
    expect((await recordsRefusal('\uFEFF\n \n')).message).toMatch(/^The file is empty/);
  });

  it('refuses the row past the limit with a 413 whatever follows it, not counting blank lines', async () => {
    const file = [
      'number,name,consent_date,consent_source',
      '07700900250,Al Bo,2024-01-15,web',
      '',
      '07700900251,Cy Di,2024-01-15,web',
      '',
      '07700900252,Ed Ek,2024-01-15,web',
      '07700900253,"Fi"x,2024-01-15,web',
    ].join('\n');
    expect(await recordsRefusal(file, 2)).toMatchObject({ statusCode: 413, code: 'too_many_rows' });
    expect((await recordsRefusal(file, 3)).message).toBe(
      'The file cannot be read as CSV near line 7 (CSV_INVALID_CLOSING_QUOTE).',
    );
  });
});
