import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaxDocumentInput, type FaxPart, planFax } from '../../src/fax/layout.js';
import { renderFaxPartToBuffer } from '../../src/fax/render.js';
import { testConfig } from '../helpers/app.js';
import { ENTRY, pdfText } from './pdf.js';
import { realisticNames } from './realistic-names.js';

// The sender block as an organisation sets it: one line of .env, "\n" between the address's lines.
const { letterhead } = testConfig('postgres://postgres@127.0.0.1:5432/unused', {
  ORG_ADDRESS: 'Human Rights Action Centre\\n17-25 New Inn Yard\\nLondon EC2A 3EA',
  ORG_PHONE: '+44 20 7033 1500',
  ORG_EMAIL: 'sct@example.org',
});

function russianTarget(extra: Partial<FaxDocumentInput> = {}): FaxDocumentInput {
  return {
    orgName: 'Amnesty International UK',
    letterhead,
    contact: { name: 'Jane Campaigner', phone: '+44 20 7946 0999' },
    language: 'ru',
    reference: null,
    title: 'Magamed Abubakarov: lawyer getting death threats by text',
    shortTitle: 'Magamed Abubakarov',
    subject: 'Death threats against defence lawyer Magamed Abubakarov',
    letterBody: 'We urge you to investigate the threats.',
    translation: {
      language: 'ru',
      subject: 'Угрозы убийством в адрес адвоката Магамеда Абубакарова',
      body: 'Мы призываем вас расследовать угрозы.',
    },
    date: new Date('2026-11-21T23:30:00Z'),
    timezone: 'Europe/Moscow',
    recipient: {
      name: 'Генеральный прокурор Российской Федерации',
      title: null,
      organisation: 'Генеральная прокуратура Российской Федерации',
      address: 'ул. Б. Дмитровка, д. 15а\n125993, Москва, ГСП-3',
      salutation: 'Уважаемый господин Генеральный прокурор!',
      faxNumbers: ['+74959870000', '+74959870001'],
      emails: ['prosecutor@example.org'],
    },
    names: realisticNames(1200),
    maxPages: 25,
    ...extra,
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fax-letter-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rendered(input: FaxDocumentInput): Promise<{ file: string; part: FaxPart }> {
  const part = planFax(input)[0] as FaxPart;
  const file = join(dir, `letter-${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, await renderFaxPartToBuffer(input, part));
  return { file, part };
}

const collapse = (text: string) => text.replace(/\s+/gu, ' ').trim();

describe('the letter page of a Russian target', () => {
  it('reads in Russian, with the organisation’s address, phone and e-mail and the campaign’s contact', async () => {
    const { file, part } = await rendered(russianTarget());
    const letter = collapse(pdfText(file, 1));
    const inOrder = [
      `Magamed Abubakarov — письмо — стр. 1 из ${part.pages}`,
      'Amnesty International UK Human Rights Action Centre 17-25 New Inn Yard London EC2A 3EA',
      'Тел. +44 20 7033 1500',
      'Эл. почта sct@example.org',
      'Контактное лицо: Jane Campaigner, +44 20 7946 0999',
      '22 ноября 2026 г.',
      'Генеральный прокурор Российской Федерации',
      'Факс: +74959870000, +74959870001',
      'Эл. почта: prosecutor@example.org',
      `В этом документе страниц: ${part.pages}, включая эту.`,
      // The translation first, in the recipient's language; then the original.
      'Угрозы убийством в адрес адвоката Магамеда Абубакарова',
      'Уважаемый господин Генеральный прокурор!',
      'Мы призываем вас расследовать угрозы.',
      'С уважением,',
      'Это письмо подписали 1 200 сторонников Amnesty International UK; подписи приведены на следующих страницах.',
      'Текст оригинала:',
      'Death threats against defence lawyer Magamed Abubakarov',
      'We urge you to investigate the threats.',
    ];
    let position = 0;
    for (const text of inOrder) {
      const found = letter.indexOf(text, position);
      expect(found, text).toBeGreaterThanOrEqual(0);
      position = found + text.length;
    }
    expect(letter).not.toMatch(/Yours faithfully|Reference|page \d/u);
  });

  it('numbers its signatories and heads its pages in Russian, digits grouped as in the letter', async () => {
    const { file } = await rendered(russianTarget());
    const page = pdfText(file, 5);
    // pdftotext reads the no-break space between groups of digits as a space.
    expect(page).toMatch(/Magamed Abubakarov — подписи — стр\. 5 из 5 +№ \d+–1 \d{3} из 1 200/u);
    const numbers = page
      .split('\n')
      .flatMap((line) => line.trim().split(/\s{3,}/u))
      .map((cell) => ENTRY.exec(cell)?.[1])
      .filter((number): number is string => number !== undefined && number.length > 3);
    expect(numbers.length).toBeGreaterThan(0);
    for (const number of numbers) expect(number).toMatch(/^1 \d{3}$/u);
  });
});

describe('the running header', () => {
  it('uses the short title when there is no reference, and cuts a long title only between words', async () => {
    const title =
      'Joint Mobile Group: human rights defenders and journalists at risk of further attacks in the North Caucasus';
    const english = russianTarget({ language: 'en', shortTitle: null, title, translation: null });
    const { file } = await rendered(english);
    const header = pdfText(file, 2).trimStart().split('\n')[0] ?? '';
    const label = header.split(' — ')[0] ?? '';
    expect(label.endsWith('…')).toBe(true);
    // Whole words of the title, however pdftotext spaces them out.
    const kept = label.slice(0, -1).replace(/\s+/gu, '');
    const words = title.split(' ');
    const wholeWords = words.map((_, n) => words.slice(0, n + 1).join(''));
    expect(wholeWords).toContain(kept);
    expect(header).toMatch(/ — signatories — page 2 of \d+/u);
  });
});
