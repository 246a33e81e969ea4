/**
 * Pure checks of what staff send for a campaign, turning a request into the service's input. No I/O:
 * uniqueness of keywords and the rules that depend on a campaign's state are the service's.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CampaignContact, CampaignReplies, LetterTranslation } from '../db/types.js';
import { AppError } from '../errors.js';
import { isReservedWord } from '../sms/intent.js';
import type { CampaignChange, CampaignInput, TargetInput } from './service.js';

export const DEFAULT_TIMEZONE = 'Europe/Moscow';

/** Limits declared by the API's schema (routes.ts) that the console's form applies too. */
export const MAX_TARGETS = 20;
/** Fax numbers (and e-mail addresses) one target may list, tried in order. */
export const MAX_PER_TARGET = 5;
export const BATCH_THRESHOLD = { minimum: 1, maximum: 1_000_000 };

/** A target as staff send it: the service's own shape, before its numbers and zone are checked. */
export type TargetRequest = TargetInput;

export interface CampaignRequest {
  keyword: string;
  title: string;
  reference?: string | null;
  shortTitle?: string | null;
  summary?: string | null;
  letter: {
    subject?: string | null;
    body: string;
    translation?: { language: LetterTranslation['language']; subject?: string | null; body: string } | null;
  };
  contact?: CampaignContact | null;
  targets: TargetRequest[];
  /** ISO-8601 */
  closesAt?: string | null;
  replies?: CampaignReplies;
  batchDailyAt?: string | null;
  batchThreshold?: number | null;
  public?: boolean;
}

export type CampaignChangeRequest = Partial<CampaignRequest>;

export interface ValidationContext {
  now: Date;
  joinKeywords: readonly string[];
  /** How messages name fields and moments; the API's own words when absent. */
  wording?: Wording;
}

/** One thing wrong with a request: the field it is about, as a path (`targets[1].faxNumbers`), and why. */
export interface Problem {
  code: string;
  field: string;
  message: string;
}

/**
 * How messages name fields and moments. The API speaks its own words (field paths, ISO-8601 in UTC);
 * the console passes its form's labels and the organisation's clock.
 */
export interface Wording {
  name(field: string): string;
  time(at: Date): string;
}

const API_WORDING: Wording = { name: (field) => field, time: (at) => at.toISOString() };

/** Where the checks of one request note their problems, so that every problem is reported at once. */
class Checks {
  readonly problems: Problem[] = [];
  constructor(readonly words: Wording) {}

  /** Notes a problem of `field`; `say` words it, given the field's name as its reader knows it. */
  refuse(code: string, field: string, say: (name: string) => string): null {
    this.problems.push({ code, field, message: say(this.words.name(field)) });
    return null;
  }
}

/** The API's refusal of a request: the first problem as code and message, every problem in `details`. */
function refusal(problems: readonly Problem[]): AppError {
  const [first, ...rest] = problems;
  if (!first) throw new Error('a refusal needs at least one problem');
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more: see details)`;
  return new AppError(400, first.code, `${first.message}${more}`, first.field, {
    details: problems.map(({ field, message }) => ({ field, message })),
  });
}

const KEYWORD = /^[A-Z][A-Z0-9]{2,19}$/;

/** A keyword is one word supporters can type on any phone; stored upper case, matched in any case. */
function keywordOf(checks: Checks, raw: string, joinKeywords: readonly string[]): string | null {
  const keyword = raw.trim().toUpperCase();
  if (!KEYWORD.test(keyword)) {
    return checks.refuse(
      'invalid_keyword',
      'keyword',
      (name) =>
        `${name} must be one word of 3 to 20 letters (A-Z) and digits, starting with a letter, e.g. MAGAMED.`,
    );
  }
  if (isReservedWord(keyword, joinKeywords)) {
    return checks.refuse(
      'reserved_keyword',
      'keyword',
      () =>
        `${keyword} is a reserved word (opt-out, opt-in, YES, help, nocall, receipt or join); ` +
        'supporters texting it would not sign. Choose another keyword.',
    );
  }
  return keyword;
}

/** Between the numbers of one line, as actions print them: "+7495 987 58 41/ +7495 692 17 25". */
const NUMBER_SEPARATORS = /[/,;\r\n]+/;
/** Inside a number, as printed: spaces, dots, dashes and brackets. */
const NUMBER_PUNCTUATION = /[\s.\-‐-―()[\]]/g;

/** One number as staff wrote it, and the E.164 form it was understood as (null when it is no number). */
export interface FaxNumberReading {
  text: string;
  number: string | null;
}

/**
 * The fax numbers in a text as urgent actions print them, each in E.164 form (`+74959875841`) so that
 * providers dial it as written. International form only: a national number ("8 495 …") names no country.
 */
export function readFaxNumbers(text: string): FaxNumberReading[] {
  return text
    .split(NUMBER_SEPARATORS)
    .map((piece) => piece.trim())
    .filter(Boolean)
    .map((piece) => {
      const digits = piece.replace(NUMBER_PUNCTUATION, '').replace(/^00/, '+');
      const parsed = /^\+\d{6,15}$/.test(digits) ? parsePhoneNumberFromString(digits) : undefined;
      return { text: piece, number: parsed?.isValid() ? parsed.number : null };
    });
}

const badNumber = (name: string, text: string) =>
  `${name}: "${text}" is not a valid phone number; ` +
  'give it with + and the country code, e.g. +7 495 987 58 41.';

/** A list of fax numbers, each item possibly several numbers; every bad one is noted, none twice. */
function faxNumbersOf(checks: Checks, items: readonly string[], field: string): string[] {
  const numbers: string[] = [];
  items.forEach((item, n) => {
    const readings = readFaxNumbers(item);
    if (readings.length === 0)
      checks.refuse('invalid_fax_number', `${field}[${n}]`, (name) => badNumber(name, item));
    for (const { text, number } of readings) {
      if (number === null)
        checks.refuse('invalid_fax_number', `${field}[${n}]`, (name) => badNumber(name, text));
      else if (numbers.includes(number)) {
        checks.refuse('invalid_fax_number', field, (name) => `${name} lists ${number} twice.`);
      } else numbers.push(number);
    }
  });
  if (numbers.length > MAX_PER_TARGET) {
    checks.refuse(
      'invalid_fax_number',
      field,
      (name) =>
        `${name} lists ${numbers.length} numbers; give at most ${MAX_PER_TARGET}, the ones to try first.`,
    );
  }
  return numbers;
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:.]+$/u;

/** An e-mail address as mail servers take it: one local part, one domain with a dot, no spaces. */
function emailOf(checks: Checks, raw: string, field: string): string | null {
  const address = raw.trim();
  if (address.length > 254 || !EMAIL.test(address)) {
    return checks.refuse('invalid_email', field, (name) => `${name}: "${address}" is not an e-mail address.`);
  }
  return address;
}

/** E-mail addresses, each checked, none twice. */
function emailsOf(checks: Checks, items: readonly string[], field: string): string[] {
  const addresses: string[] = [];
  items.forEach((item, n) => {
    const address = emailOf(checks, item, `${field}[${n}]`);
    if (address === null) return;
    if (addresses.includes(address)) {
      checks.refuse('invalid_email', field, (name) => `${name} lists ${address} twice.`);
    } else addresses.push(address);
  });
  return addresses;
}

/** An IANA time zone, returned in its canonical spelling (faxes are sent in the target's office hours). */
function timezoneOf(checks: Checks, raw: string, field: string): string | null {
  const zone = raw.trim();
  // Intl also accepts offsets such as "+03:00" on newer Node versions; an office keeps its zone's rules.
  if (/^[A-Za-z]/.test(zone)) {
    try {
      return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      // Unknown zone: refused below.
    }
  }
  return checks.refuse(
    'invalid_timezone',
    field,
    (name) => `${name}: "${zone}" is not an IANA time zone; use a name such as Europe/Moscow.`,
  );
}

function closesAtOf(checks: Checks, raw: string, now: Date): Date | null {
  const closesAt = new Date(raw);
  if (Number.isNaN(closesAt.getTime())) {
    return checks.refuse(
      'invalid_closes_at',
      'closesAt',
      (name) => `${name} must be an ISO-8601 date and time.`,
    );
  }
  if (closesAt.getTime() <= now.getTime()) {
    return checks.refuse(
      'invalid_closes_at',
      'closesAt',
      (name) => `${name} must be in the future (it is now ${checks.words.time(now)}).`,
    );
  }
  return closesAt;
}

const PLACEHOLDER = /\{[^{}]*\}/g;

/** Custom replies; the thanks may name the signer with {name}, and no other placeholder exists. */
function repliesOf(checks: Checks, replies: CampaignReplies): CampaignReplies {
  const checked: CampaignReplies = {};
  const thanks = replies.thanks?.trim();
  if (thanks) {
    const unknown = (thanks.match(PLACEHOLDER) ?? []).find((placeholder) => placeholder !== '{name}');
    if (unknown) {
      checks.refuse(
        'invalid_reply',
        'replies.thanks',
        (name) => `${name} may only use the placeholder {name}; ${unknown} would be texted as it is.`,
      );
    } else checked.thanks = thanks;
  }
  const alert = replies.alert?.trim();
  if (alert) checked.alert = alert;
  return checked;
}

const TIME_OF_DAY = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

function batchDailyAtOf(checks: Checks, raw: string): string | null {
  if (!TIME_OF_DAY.test(raw)) {
    return checks.refuse(
      'invalid_batch_time',
      'batchDailyAt',
      (name) => `${name} must be a time of day as HH:MM (e.g. 10:00), not "${raw}".`,
    );
  }
  return raw;
}

function required(checks: Checks, value: string, field: string): string {
  const text = value.trim();
  if (text === '') checks.refuse('validation_failed', field, (name) => `${name} must not be blank.`);
  return text;
}

function optional(value: string | null | undefined): string | null {
  const text = value?.trim();
  return text ? text : null;
}

function letterOf(checks: Checks, letter: CampaignRequest['letter']): CampaignInput['letter'] {
  const checked: CampaignInput['letter'] = {
    subject: optional(letter.subject),
    body: required(checks, letter.body, 'letter.body'),
  };
  if (letter.translation === null) checked.translation = null;
  else if (letter.translation !== undefined) {
    const subject = optional(letter.translation.subject);
    checked.translation = {
      language: letter.translation.language,
      ...(subject ? { subject } : {}),
      body: required(checks, letter.translation.body, 'letter.translation.body'),
    };
  }
  return checked;
}

/** Staff's contact for the letter page and for failure notices; empty fields left out, null when none. */
function contactOf(checks: Checks, contact: CampaignContact | null): CampaignContact | null {
  if (contact === null) return null;
  const checked: CampaignContact = {};
  const name = optional(contact.name);
  const phone = optional(contact.phone);
  const email = optional(contact.email);
  if (name) checked.name = name;
  if (phone) checked.phone = phone;
  if (email) checked.email = emailOf(checks, email, 'contact.email') ?? email;
  return Object.keys(checked).length === 0 ? null : checked;
}

function targetOf(checks: Checks, target: TargetRequest, index: number): TargetInput {
  const field = `targets[${index}]`;
  const faxField = `${field}.faxNumbers`;
  const emailField = `${field}.emails`;
  const name = required(checks, target.name, `${field}.name`);
  const salutation = required(checks, target.salutation, `${field}.salutation`);
  const faxNumbers = faxNumbersOf(checks, target.faxNumbers, faxField);
  const emails = emailsOf(checks, target.emails ?? [], emailField);
  const hasFax = target.faxNumbers.some((item) => item.trim() !== '');
  const hasEmail = (target.emails ?? []).some((item) => item.trim() !== '');
  const channel = target.channel ?? (hasFax || !hasEmail ? 'fax-then-email' : 'email');
  if (!hasFax && !hasEmail) {
    checks.refuse(
      'invalid_fax_number',
      faxField,
      (faxes) =>
        `${faxes} must list at least one fax number, ` +
        `or ${checks.words.name(emailField)} an address for the channel email.`,
    );
  } else if (channel !== 'email' && !hasFax) {
    checks.refuse(
      'invalid_fax_number',
      faxField,
      (faxes) => `${faxes} must list at least one fax number, unless the channel is email.`,
    );
  } else if (channel !== 'fax-then-email' && !hasEmail) {
    checks.refuse(
      'invalid_email',
      emailField,
      (emails) => `${emails} must list at least one e-mail address for the channel ${channel}.`,
    );
  }
  const timezone = timezoneOf(checks, target.timezone ?? DEFAULT_TIMEZONE, `${field}.timezone`);
  return {
    name,
    title: optional(target.title),
    organisation: optional(target.organisation),
    address: optional(target.address),
    salutation,
    faxNumbers,
    emails,
    channel,
    language: target.language ?? 'en',
    timezone: timezone ?? DEFAULT_TIMEZONE,
  };
}

function targetsOf(checks: Checks, targets: TargetRequest[]): TargetInput[] {
  if (targets.length === 0) {
    checks.refuse(
      'no_targets',
      'targets',
      () => 'A campaign needs at least one target: an authority the fax goes to.',
    );
  }
  return targets.map((target, index) => targetOf(checks, target, index));
}

/** The fields of a change that are present, checked; absent fields stay as they are. */
function changeOf(
  checks: Checks,
  request: CampaignChangeRequest,
  context: ValidationContext,
): CampaignChange {
  const change: CampaignChange = {};
  if (request.keyword !== undefined) {
    change.keyword = keywordOf(checks, request.keyword, context.joinKeywords) ?? request.keyword;
  }
  if (request.title !== undefined) change.title = required(checks, request.title, 'title');
  if (request.reference !== undefined) change.reference = optional(request.reference);
  if (request.shortTitle !== undefined) change.shortTitle = optional(request.shortTitle);
  if (request.contact !== undefined) change.contact = contactOf(checks, request.contact);
  if (request.summary !== undefined) change.summary = optional(request.summary);
  if (request.letter !== undefined) change.letter = letterOf(checks, request.letter);
  if (request.targets !== undefined) change.targets = targetsOf(checks, request.targets);
  if (request.closesAt !== undefined) {
    change.closesAt = request.closesAt === null ? null : closesAtOf(checks, request.closesAt, context.now);
  }
  if (request.replies !== undefined) change.replies = repliesOf(checks, request.replies);
  if (request.batchDailyAt !== undefined) {
    change.batchDailyAt = request.batchDailyAt === null ? null : batchDailyAtOf(checks, request.batchDailyAt);
  }
  if (request.batchThreshold !== undefined) change.batchThreshold = request.batchThreshold;
  if (request.public !== undefined) change.public = request.public;
  return change;
}

/** A change's every problem (none: the change as checked), in the context's wording. */
export function readCampaignChange(
  request: CampaignChangeRequest,
  context: ValidationContext,
): { change: CampaignChange; problems: Problem[] } {
  const checks = new Checks(context.wording ?? API_WORDING);
  const change = changeOf(checks, request, context);
  return { change, problems: checks.problems };
}

/** A new campaign's every problem (none: the campaign checked and normalised), in the context's wording. */
export function readCampaign(
  request: CampaignRequest,
  context: ValidationContext,
): { campaign: CampaignInput; problems: Problem[] } {
  const checks = new Checks(context.wording ?? API_WORDING);
  const { keyword, title, letter, targets, ...optionalFields } = request;
  const input = {
    keyword: keywordOf(checks, keyword, context.joinKeywords) ?? keyword,
    title: required(checks, title, 'title'),
    letter: letterOf(checks, letter),
    targets: targetsOf(checks, targets),
  };
  return { campaign: { ...changeOf(checks, optionalFields, context), ...input }, problems: checks.problems };
}

/** The fields of a change that are present, checked; refused with every problem. */
export function checkCampaignChange(
  request: CampaignChangeRequest,
  context: ValidationContext,
): CampaignChange {
  const { change, problems } = readCampaignChange(request, context);
  if (problems.length > 0) throw refusal(problems);
  return change;
}

/** A whole new campaign, checked and normalised; refused with every problem. */
export function checkCampaign(request: CampaignRequest, context: ValidationContext): CampaignInput {
  const { campaign, problems } = readCampaign(request, context);
  if (problems.length > 0) throw refusal(problems);
  return campaign;
}
