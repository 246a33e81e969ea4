// Supporter names as they will appear on the co-signed fax: cleaning, validation and review flags.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { DataSet, englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import { MODERATION_LISTS, type ModerationReason, moderationReason } from './moderation.js';
import { prefilteredHasMatch } from './profanity.js';

export type HoldReason = 'profanity' | 'unsupported-script' | ModerationReason;

/** Each reason a name is held for, as staff read it beside the name. */
export const HOLD_REASONS: Record<HoldReason | 'staff', string> = {
  profanity: 'Looks like profanity',
  'unsupported-script': 'The fax cannot print this script',
  'fictional-character': 'A fictional character',
  'placeholder-name': 'A placeholder or test name',
  'repeated-words': 'Repeated words or letters',
  symbols: 'Emoji or symbols that are not part of a name',
  staff: 'Held by staff',
};
export type NameCheck =
  | { ok: true; name: string; hold: HoldReason | null }
  | { ok: false; problem: NameProblem };
export type NameProblem =
  | 'too-short'
  | 'too-long'
  | 'too-few-letters'
  | 'digits'
  | 'url-or-email'
  | 'leading-symbol'
  | 'symbols';

const MIN_LENGTH = 2;
const MAX_LENGTH = 60;

// --- Fax font -------------------------------------------------------------------------------------

interface GlyphLookup {
  hasGlyphForCodePoint(codePoint: number): boolean;
}

// fontkit ships no types and is only a dependency of pdfkit, so resolve it through pdfkit instead of
// relying on npm hoisting it to the top level.
const localRequire = createRequire(import.meta.url);
const fontkit = createRequire(localRequire.resolve('pdfkit'))('fontkit') as {
  openSync(path: string): GlyphLookup;
};
const faxFont = fontkit.openSync(localRequire.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));

export function fontCanDraw(text: string): boolean {
  for (const char of text) {
    if (/\s/u.test(char)) continue;
    if (!faxFont.hasGlyphForCodePoint(char.codePointAt(0) as number)) return false;
  }
  return true;
}

// The fax renderer lays text out left to right only, so right-to-left names would come out reversed.
const RIGHT_TO_LEFT = new RegExp(
  `[${[
    'Hebrew',
    'Arabic',
    'Syriac',
    'Thaana',
    'Nko',
    'Samaritan',
    'Mandaic',
    'Adlam',
    'Hanifi_Rohingya',
    'Mende_Kikakui',
    'Yezidi',
  ]
    .map((script) => `\\p{Script=${script}}`)
    .join('')}]`,
  'u',
);

// --- Normalisation ---------------------------------------------------------------------------------

// Invisible characters: format chars (zero-width, bidi overrides, BOM, soft hyphen), other default-ignorables
// (Hangul fillers, variation selectors), lone surrogates, noncharacters (U+FFFF and the like, which XML
// cannot carry: the TwiML reply that thanks by name would fail), and control chars (NUL among them) except
// tabs and line breaks, which become spaces.
const INVISIBLE =
  /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Cs}\p{Noncharacter_Code_Point}]|(?![\s\u0085])\p{Cc}/gu;
const WHITESPACE = /[\s\p{Z}\u0085]+/gu;

// Capitalise the first letter of each word, after a hyphen or a dot (initials), and after an apostrophe only
// in Latin prefixes like O'Neil or D'Arcy: Ukrainian В'ячеслав and Arabic transliterations like Sa'id keep
// the letter after the apostrophe lower case.
const WORD_START = /(^|[\s\-‐.]|(?<=(?:^|[\s\-‐])\p{Script=Latin})['’])(\p{Ll})/gu;

function fixCase(name: string): string {
  const hasUpper = /\p{Lu}/u.test(name);
  const hasLower = /\p{Ll}/u.test(name);
  // Only one case used (SHOUTING or all lower case) means the capitalisation carries no information.
  if (hasUpper === hasLower) return name;
  return (
    name
      .toLowerCase()
      // Lower-casing Turkish İ yields i + combining dot, which would print as a doubled dot.
      .replaceAll('i\u0307', 'i')
      .replace(WORD_START, (_, before: string, letter: string) => before + letter.toUpperCase())
  );
}

export function normaliseName(raw: string): string {
  const cleaned = raw.replace(INVISIBLE, '').replace(WHITESPACE, ' ').trim();
  return fixCase(cleaned).normalize('NFC');
}

// --- Validation ------------------------------------------------------------------------------------

const URL_OR_EMAIL = new RegExp(
  [
    'https?://',
    'www\\.',
    '[^\\s@]@[^\\s@]',
    // A bare domain. Only well-known top-level domains, so that "J.Smith" or "St.Clair" stay valid names.
    '[\\p{L}\\p{N}]\\.(?:com|net|org|info|biz|io|co|me|ly|app|dev|xyz|online|site|top|club|shop|store|' +
      'live|link|click|tv|cc|ws|gg|su|ru|ua|by|kz|uk|de|fr|es|it|nl|pl|eu|us|' +
      'рф|рус|укр|бел)(?![\\p{L}\\p{N}])',
  ].join('|'),
  'iu',
);

function findProblem(name: string): NameProblem | null {
  const length = [...name].length;
  if (length < MIN_LENGTH) return 'too-short';
  if (length > MAX_LENGTH) return 'too-long';
  if (URL_OR_EMAIL.test(name)) return 'url-or-email';
  if (/\p{N}/u.test(name)) return 'digits';
  // Spreadsheet software treats these as the start of a formula when staff export the list.
  if (/^[=+\-@]/.test(name)) return 'leading-symbol';
  // No name needs these; they are how markup, templates and commands are written.
  if (/[<>{}[\]\\|;`]/.test(name)) return 'symbols';
  if ((name.match(/\p{L}/gu)?.length ?? 0) < 2) return 'too-few-letters';
  return null;
}

// --- Profanity -------------------------------------------------------------------------------------

// Real names that obscenity's English patterns flag. Whitelisted spans cancel matches inside them.
const ENGLISH_FALSE_POSITIVES = [
  'dickson',
  'dickinson',
  'dickerson',
  'fagan',
  'fagin',
  'fager', // Fagerström, Fagerlund
  'fuku', // Fukuda, Fukuyama
  'anush', // Anush, Anusha
  'analis', // Analise
  'annalis', // Annalisa
  'cumming', // Cumming, Cummings
  'cummins',
  'slutsk', // Slutsky, Slutskaya
  'shitov', // Шитов
  'shittu',
  'dikshit',
  'peniston',
  'wankhede',
  'bich', // Bích (Vietnamese)
  'cuma', // Turkish
  'cumhur',
  'assol', // Ассоль
];

const englishNames = new DataSet<{ originalWord: string }>()
  .addAll(englishDataset)
  // Semen (Семён) and Semenov are common Russian names in passport transliteration.
  .removePhrasesIf((phrase) => phrase.metadata?.originalWord === 'semen')
  .addPhrase((phrase) => ENGLISH_FALSE_POSITIVES.reduce((p, term) => p.addWhitelistedTerm(term), phrase))
  .build();

const hasEnglishProfanity = prefilteredHasMatch(
  new RegExpMatcher({ ...englishNames, ...englishRecommendedTransformers }),
);

// Russian obscenities in Cyrillic and Latin transliteration, matched on a lower-cased copy with ё folded
// to е. obscenity's word boundaries only understand ASCII, hence a plain regex with Unicode letter
// boundaries. Roots that no real name contains match anywhere; roots found inside names (Глеб, Лебедев,
// Сукачёв, Сучков, Sukhanov, Ebba, Suki, Vietnamese Huy and Huynh, Chinese Hui) match only at the start
// of a word or as a whole word.
const RUSSIAN_ANYWHERE = [
  'ху[йеяю]',
  'пизд',
  'бля[дт]',
  'залуп',
  'пид[оа]р',
  'муд(?:ак|ач|ил)',
  'г[ао]ндон',
  'шлюх',
  'pizd',
  'bl[yj]a[dt]',
  'zalup',
  'pid[oa]r',
  'mudak',
];
const RUSSIAN_WORD_START = [
  '(?:за|вы|до|на|от|по|про|у|съ|разъ|подъ)?еб',
  '(?:na|po)(?:kh|h|x)u[yij]',
  '(?:kh|h|x)u[yij]n[yj]?a',
  '(?:y|j)?eb(?:at|al|an[nyi]|l[aoi])',
  'yob(?:an|at)',
];
const RUSSIAN_WHOLE_WORD = [
  'сук[аиуе]',
  'сукой',
  'сучка',
  'сучара',
  'бля',
  'suka',
  'suchka',
  'blya',
  '(?:kh|x)u[yij]',
  'c?huj', // not chui: Chui is a Cantonese and Kenyan surname
];

const NOT_LETTER_BEFORE = '(?<!\\p{L})';
const NOT_LETTER_AFTER = '(?!\\p{L})';
const russianMatcher = new RegExp(
  [
    ...RUSSIAN_ANYWHERE,
    ...RUSSIAN_WORD_START.map((root) => NOT_LETTER_BEFORE + root),
    ...RUSSIAN_WHOLE_WORD.map((word) => NOT_LETTER_BEFORE + word + NOT_LETTER_AFTER),
  ].join('|'),
  'u',
);

function isProfane(name: string): boolean {
  return hasEnglishProfanity(name) || russianMatcher.test(name.toLowerCase().replaceAll('ё', 'е'));
}

// --- Public API ------------------------------------------------------------------------------------

/**
 * The version of the hold rules. A name found clear is stored with it, so that a member's name on
 * file signs without being checked again (in the one statement a known member's text costs); a name
 * checked under other rules is checked again when it signs. The word lists are in it: raise the
 * revision when the code of a check here or in moderation.ts changes what it holds.
 */
const HOLD_RULES_REVISION = 1;
export const HOLD_RULES = createHash('sha256')
  .update(
    JSON.stringify([
      HOLD_RULES_REVISION,
      MODERATION_LISTS,
      englishNames,
      RUSSIAN_ANYWHERE,
      RUSSIAN_WORD_START,
      RUSSIAN_WHOLE_WORD,
    ]),
  )
  .digest('base64url')
  .slice(0, 16);

/** The last name checked: a text is decided twice (for an unknown number and for a member), one check. */
let lastChecked: { raw: string; check: NameCheck } | null = null;

export function checkName(raw: string): NameCheck {
  if (lastChecked?.raw === raw) return lastChecked.check;
  const check = checkNameAfresh(raw);
  lastChecked = { raw, check };
  return check;
}

function checkNameAfresh(raw: string): NameCheck {
  const name = normaliseName(raw);
  const problem = findProblem(name);
  if (problem) return { ok: false, problem };
  if (isProfane(name)) return { ok: true, name, hold: 'profanity' };
  const moderation = moderationReason(name);
  if (moderation) return { ok: true, name, hold: moderation };
  if (RIGHT_TO_LEFT.test(name) || !fontCanDraw(name)) return { ok: true, name, hold: 'unsupported-script' };
  return { ok: true, name, hold: null };
}

/**
 * The hold for a name on file: it was checked when given, but the rules may have changed since. A
 * name that no longer passes validation is not held for that (it was valid when given).
 */
export function holdOnFile(name: string): HoldReason | null {
  const checked = checkName(name);
  return checked.ok ? checked.hold : null;
}

// Plain ASCII on purpose: one curly quote would switch the whole SMS to UCS-2 and halve its length.
const PROBLEM_MESSAGES: Record<NameProblem, string> = {
  'too-short': 'Please reply with your full name (at least 2 letters).',
  'too-long': 'Please reply with a shorter version of your name (60 characters at most).',
  'too-few-letters': 'Please reply with your full name, letters only (2 to 60 characters).',
  digits: 'Please reply with your name using letters only, without numbers.',
  'url-or-email': 'Please reply with just your name, without web or email addresses.',
  'leading-symbol': 'Please reply with your name, starting with a letter.',
  symbols: 'Please reply with just your name, without symbols such as < > { } [ ] or |.',
};

export function describeNameProblem(problem: NameProblem): string {
  return PROBLEM_MESSAGES[problem];
}
