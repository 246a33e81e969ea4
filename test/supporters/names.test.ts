import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkName,
  describeNameProblem,
  fontCanDraw,
  type NameProblem,
  normaliseName,
} from '../../src/supporters/names.js';

function acceptedName(raw: string): string {
  const result = checkName(raw);
  if (!result.ok) throw new Error(`expected "${raw}" to be accepted, got ${result.problem}`);
  return result.name;
}

function holdFor(raw: string) {
  const result = checkName(raw);
  if (!result.ok) throw new Error(`expected "${raw}" to be accepted, got ${result.problem}`);
  return result.hold;
}

describe('normaliseName', () => {
  it('composes decomposed accents (NFC)', () => {
    expect(normaliseName('Jose\u0301 Garci\u0301a')).toBe('José García');
  });

  it('removes zero-width, bidi-override and other invisible characters', () => {
    expect(normaliseName('Jo\u200bhn \u202eSmith\u202c')).toBe('John Smith');
    expect(normaliseName('\ufeffAn\u00adna Ka\u200dr\u2066l\u2069')).toBe('Anna Karl');
    expect(normaliseName('Ma\u0000ry\u0007 Lee')).toBe('Mary Lee');
    expect(normaliseName('Mary \u0000 \u200b Lee')).toBe('Mary Lee');
  });

  it('removes lone surrogates and noncharacters, which no XML reply or fax can carry', () => {
    expect(normaliseName('Ma\uFFFFry\uFFFE Lee')).toBe('Mary Lee');
    expect(normaliseName('Ma\uD800ry \uDFFFLee\uFDD0')).toBe('Mary Lee');
    expect(normaliseName('Mary\u{10FFFF} \u{1FFFE}Lee')).toBe('Mary Lee');
    expect(normaliseName('Mary 😀 Lee')).toBe('Mary 😀 Lee');
  });

  it('collapses whitespace runs, including tabs, newlines and no-break spaces, and trims', () => {
    expect(normaliseName('  John \t\n  Smith\u00a0\u00a0Jr  ')).toBe('John Smith Jr');
  });

  it('title-cases names typed in all capitals or all lower case', () => {
    expect(normaliseName("MARY-JANE O'NEIL")).toBe("Mary-Jane O'Neil");
    expect(normaliseName('mary-jane o’neil')).toBe('Mary-Jane O’Neil');
    expect(normaliseName('жанна смирнова')).toBe('Жанна Смирнова');
    expect(normaliseName('АННА-МАРИЯ ПЕТРОВА')).toBe('Анна-Мария Петрова');
    expect(normaliseName('j.r.r. tolkien')).toBe('J.R.R. Tolkien');
  });

  it('keeps the letter after an apostrophe lower case inside Ukrainian names and transliterations', () => {
    expect(normaliseName("В'ЯЧЕСЛАВ ЧОРНОВІЛ")).toBe("В'ячеслав Чорновіл");
    expect(normaliseName("SA'ID AL-FARSI")).toBe("Sa'id Al-Farsi");
  });

  it('does not print a doubled dot when lower-casing Turkish İ', () => {
    expect(normaliseName('İSMAİL YILDIZ')).toBe('Ismail Yildiz');
  });

  it('keeps mixed case as typed', () => {
    expect(normaliseName('Ronald McDonald')).toBe('Ronald McDonald');
    expect(normaliseName('Jane van der Berg')).toBe('Jane van der Berg');
    expect(normaliseName('Leonardo DiCaprio')).toBe('Leonardo DiCaprio');
  });

  it('keeps Cyrillic, Greek, accents and both kinds of apostrophe', () => {
    expect(normaliseName('Семён Ёлкин')).toBe('Семён Ёлкин');
    expect(normaliseName('Αλέξανδρος Παπαδόπουλος')).toBe('Αλέξανδρος Παπαδόπουλος');
    expect(normaliseName('Zoë Brontë-Núñez')).toBe('Zoë Brontë-Núñez');
    expect(normaliseName("Dara O'Brien")).toBe("Dara O'Brien");
    expect(normaliseName('Dara O’Brien')).toBe('Dara O’Brien');
  });
});

describe('checkName rejections', () => {
  it.each<[string, NameProblem]>([
    ['', 'too-short'],
    ['J', 'too-short'],
    ['  \u200b J \u200b ', 'too-short'],
    ['A'.repeat(61), 'too-long'],
    ['Anna 2nd', 'digits'],
    ['Анна ٣', 'digits'],
    ['http://example', 'url-or-email'],
    ['www.example', 'url-or-email'],
    ['Vote at spam.com', 'url-or-email'],
    ['Подписывайтесь на канал.рф', 'url-or-email'],
    ['anna@example.org', 'url-or-email'],
    ['=HYPERLINK("x")', 'leading-symbol'],
    ['+Anna Smith', 'leading-symbol'],
    ['-Anna Smith', 'leading-symbol'],
    ['@anna', 'leading-symbol'],
    ['<script>Anna</script>', 'symbols'],
    ['Anna {{name}}', 'symbols'],
    ['Anna [Smith]', 'symbols'],
    ['Anna \\ Smith', 'symbols'],
    ['Anna | Smith', 'symbols'],
    ['Anna; Smith', 'symbols'],
    ['Anna `rm` Smith', 'symbols'],
    ['J.', 'too-few-letters'],
    ['?!?!', 'too-few-letters'],
  ])('rejects %j as %s', (raw, problem) => {
    expect(checkName(raw)).toEqual({ ok: false, problem });
  });

  it('measures length after normalisation, in characters rather than UTF-16 units or bytes', () => {
    expect(checkName(`${'A'.repeat(30)}     ${'B'.repeat(29)}`)).toMatchObject({ ok: true });
    expect(checkName(`Ж${'ж'.repeat(59)}`)).toMatchObject({ ok: true });
    expect(checkName(`Ж${'ж'.repeat(60)}`)).toEqual({ ok: false, problem: 'too-long' });
    expect(checkName('Al')).toMatchObject({ ok: true, name: 'Al' });
  });

  it('accepts dotted initials that are not web addresses', () => {
    expect(acceptedName('J.Smith')).toBe('J.Smith');
    expect(acceptedName('Mary St.Clair')).toBe('Mary St.Clair');
  });

  it('describes every problem with a short plain-text SMS sentence', () => {
    const problems: NameProblem[] = [
      'too-short',
      'too-long',
      'too-few-letters',
      'digits',
      'url-or-email',
      'leading-symbol',
      'symbols',
    ];
    for (const problem of problems) {
      const message = describeNameProblem(problem);
      expect(message).toMatch(/^Please .+\.$/);
      // Plain ASCII keeps the reply in one GSM-7 SMS.
      expect(message).toMatch(/^[\x20-\x7e]{1,160}$/);
    }
    expect(describeNameProblem('too-long')).toContain('60');
  });
});

describe('checkName holds for staff review', () => {
  it('returns the cleaned name with no hold for ordinary names', () => {
    expect(checkName('  mary-jane  o\u200bneil ')).toEqual({ ok: true, name: 'Mary-Jane Oneil', hold: null });
  });

  it.each(['Fuck Off', 'Anna Cunt', 'shit head', 'BITCH FACE', 'Fuuuck Off'])(
    'holds English profanity: %s',
    (raw) => {
      expect(holdFor(raw)).toBe('profanity');
    },
  );

  it.each(['Иван Хуев', 'Пиздец Полный', 'Ёбаный Кот', 'Сука Петров', 'Блядь Иванова', 'Мудак Сидоров'])(
    'holds Russian profanity in Cyrillic: %s',
    (raw) => {
      expect(holdFor(raw)).toBe('profanity');
    },
  );

  it.each([
    'Suka Ivanov',
    'Ivan Blyat',
    'Huj Kowalski',
    'Pizdets Ivanov',
    'Nahuy Ivan',
    'Khuy Petrov',
    'Yebat Kopat',
  ])('holds Russian profanity in Latin transliteration: %s', (raw) => {
    expect(holdFor(raw)).toBe('profanity');
  });

  it('holds a Russian obscenity typed in lower case, after title-casing it', () => {
    expect(checkName('сука петров')).toEqual({ ok: true, name: 'Сука Петров', hold: 'profanity' });
  });

  it.each([
    'Cassandra Hancock',
    'Scunthorpe Smith',
    'Kuklin Sukhanov',
    'Suki Waterhouse',
    'Paul Dickson',
    'Emily Dickinson',
    'Semen Semenov',
    'Anna Slutskaya',
    'Hiro Fukuda',
    'Alan Cumming',
    'Richard Cockburn',
    'Huy Nguyen',
    'Hui Wang',
    'Van Huynh',
    'Grace Chui',
    'Bich Ngoc',
    'Ebba Larsson',
    'Abba Eban',
    'Глеб Лебедев',
    'Гарик Сукачёв',
    'Иван Сучков',
    'Борис Гребенщиков',
    'Велимир Хлебников',
    'Хуан Карлос',
    'Анна Бляхер',
    'Ассоль Титова',
  ])('does not hold the real name %s', (raw) => {
    expect(holdFor(raw)).toBeNull();
  });

  it('holds "Dick" as a first name: accepted trade-off, staff approve it', () => {
    expect(holdFor('Dick Van Dyke')).toBe('profanity');
  });

  it.each(['محمد علي', 'דוד לוי', 'ܐܦܪܝܡ'])(
    'holds right-to-left names even where the font has glyphs: %s',
    (raw) => {
      expect(holdFor(raw)).toBe('unsupported-script');
    },
  );

  it.each(['王伟', 'สมชาย ใจดี', '김민수', 'राम शर्मा'])('holds names the fax font cannot draw: %s', (raw) => {
    expect(fontCanDraw(raw)).toBe(false);
    expect(holdFor(raw)).toBe('unsupported-script');
  });

  it.each(['Αλέξανδρος Παπαδόπουλος', 'Семён Ёлкин', 'Łukasz Żółć', 'Nguyễn Thị Minh Khai', 'Ğülşen Işık'])(
    'does not hold names in Latin, Greek or Cyrillic with accents: %s',
    (raw) => {
      expect(fontCanDraw(raw)).toBe(true);
      expect(holdFor(raw)).toBeNull();
    },
  );
});

describe('checkName on arbitrary input', () => {
  const interesting = fc.constantFrom(
    'a',
    'Ж',
    'é',
    '\u0301',
    ' ',
    '\t',
    '\n',
    '-',
    "'",
    '’',
    '.',
    '@',
    '=',
    '+',
    '7',
    '٣',
    '\u200b',
    '\u200d',
    '\u202e',
    '\u2066',
    '\ufeff',
    '\u00ad',
    '\u0000',
    '\u3164',
    '\ud800',
    '\uffff',
    '\ufdd0',
    '<',
    'İ',
    'ß',
    'ǆ',
    'ﬁ',
    'م',
    '王',
    '😀',
  );
  const anyString = fc.oneof(
    fc.string({ maxLength: 200, unit: 'binary' }),
    fc.string({ maxLength: 200, unit: interesting }),
  );

  it('never throws, and accepted names are clean, NFC, digit-free and 2 to 60 characters long', () => {
    fc.assert(
      fc.property(anyString, (raw) => {
        const result = checkName(raw);
        if (!result.ok) return;
        const length = [...result.name].length;
        expect(length).toBeGreaterThanOrEqual(2);
        expect(length).toBeLessThanOrEqual(60);
        expect(result.name).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}\p{Noncharacter_Code_Point}<>{}[\]\\|;`]/u);
        expect(result.name).toBe(result.name.normalize('NFC'));
        expect(result.name).not.toMatch(/\p{Nd}/u);
        expect(result.name).not.toMatch(/^\s|\s\s|\s$/u);
      }),
      { numRuns: 2000 },
    );
  });
});
