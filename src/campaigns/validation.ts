/**
 * Pure checks of what staff send for a campaign, turning a request into the service's input. No I/O:
 * uniqueness of keywords and the rules that depend on a campaign's state are the service's.
 */
import { isValidPhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js';
import type { CampaignContact, CampaignReplies, LetterTranslation } from '../db/schema.js';
import { AppError } from '../errors.js';
import { isReservedWord } from '../sms/intent.js';
import type { CampaignChange, CampaignInput, TargetInput } from './service.js';

export const DEFAULT_TIMEZONE = 'Europe/Moscow';

/** Limits declared by the API's schema (routes.ts) that the console's form applies too. */
export const MAX_TARGETS = 20;
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
}

/** A refusal of one field of the request, named by its path so that a form can show it beside that field. */
const invalid = (code: string, message: string, field: string) => new AppError(400, code, message, field);

const KEYWORD = /^[A-Z][A-Z0-9]{2,19}$/;

/** A keyword is one word supporters can type on any phone; stored upper case, matched in any case. */
export function checkKeyword(raw: string, joinKeywords: readonly string[]): string {
  const keyword = raw.trim().toUpperCase();
  if (!KEYWORD.test(keyword)) {
    throw invalid(
      'invalid_keyword',
      'keyword must be one word of 3 to 20 letters (A-Z) and digits, starting with a letter, e.g. MAGAMED.',
      'keyword',
    );
  }
  if (isReservedWord(keyword, joinKeywords)) {
    throw invalid(
      'reserved_keyword',
      `${keyword} is a reserved word (opt-out, opt-in, YES, help, nocall, receipt or join); supporters texting it ` +
        'would not sign. Choose another keyword.',
      'keyword',
    );
  }
  return keyword;
}

/** An authority's fax number, in E.164 form (`+74951234567`) so that providers dial it as written. */
export function checkFaxNumber(raw: string, field = 'faxNumber'): string {
  const number = raw.trim();
  let e164: string | null = null;
  try {
    e164 = parsePhoneNumberWithError(number).number;
  } catch {
    // Unparseable: reported below like any other invalid number.
  }
  if (e164 === null || !isValidPhoneNumber(number)) {
    throw invalid(
      'invalid_fax_number',
      `${field}: "${number}" is not a valid phone number; give it in E.164 form, e.g. +74951234567.`,
      field,
    );
  }
  if (e164 !== number) {
    throw invalid(
      'invalid_fax_number',
      `${field}: "${number}" is not in E.164 form; write it as ${e164}.`,
      field,
    );
  }
  return e164;
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:.]+$/u;

/** An e-mail address as mail servers take it: one local part, one domain with a dot, no spaces. */
export function checkEmail(raw: string, field: string): string {
  const address = raw.trim();
  if (address.length > 254 || !EMAIL.test(address)) {
    throw invalid('invalid_email', `${field}: "${address}" is not an e-mail address.`, field);
  }
  return address;
}

/** An IANA time zone, returned in its canonical spelling (faxes are sent in the target's office hours). */
export function checkTimezone(raw: string, field = 'timezone'): string {
  const name = raw.trim();
  // Intl also accepts offsets such as "+03:00" on newer Node versions; an office keeps its zone's rules.
  if (/^[A-Za-z]/.test(name)) {
    try {
      return new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
    } catch {
      // Unknown zone: reported below.
    }
  }
  throw invalid(
    'invalid_timezone',
    `${field}: "${name}" is not an IANA time zone; use a name such as Europe/Moscow.`,
    field,
  );
}

export function checkClosesAt(raw: string, now: Date): Date {
  const closesAt = new Date(raw);
  if (Number.isNaN(closesAt.getTime())) {
    throw invalid('invalid_closes_at', 'closesAt must be an ISO-8601 date and time.', 'closesAt');
  }
  if (closesAt.getTime() <= now.getTime()) {
    throw invalid(
      'invalid_closes_at',
      `closesAt must be in the future (it is now ${now.toISOString()}).`,
      'closesAt',
    );
  }
  return closesAt;
}

const PLACEHOLDER = /\{[^{}]*\}/g;

/** Custom replies; the thanks may name the signer with {name}, and no other placeholder exists. */
export function checkReplies(replies: CampaignReplies): CampaignReplies {
  const checked: CampaignReplies = {};
  const thanks = replies.thanks?.trim();
  if (thanks) {
    const unknown = (thanks.match(PLACEHOLDER) ?? []).find((placeholder) => placeholder !== '{name}');
    if (unknown) {
      throw invalid(
        'invalid_reply',
        `replies.thanks may only use the placeholder {name}; ${unknown} would be texted as it is.`,
        'replies.thanks',
      );
    }
    checked.thanks = thanks;
  }
  const alert = replies.alert?.trim();
  if (alert) checked.alert = alert;
  return checked;
}

const TIME_OF_DAY = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

export function checkBatchDailyAt(raw: string): string {
  if (!TIME_OF_DAY.test(raw)) {
    throw invalid(
      'invalid_batch_time',
      `batchDailyAt must be a time of day as HH:MM (e.g. 10:00), not "${raw}".`,
      'batchDailyAt',
    );
  }
  return raw;
}

function required(value: string, field: string): string {
  const text = value.trim();
  if (text === '') throw invalid('validation_failed', `${field} must not be blank.`, field);
  return text;
}

function optional(value: string | null | undefined): string | null {
  const text = value?.trim();
  return text ? text : null;
}

function checkLetter(letter: CampaignRequest['letter']): CampaignInput['letter'] {
  const checked: CampaignInput['letter'] = {
    subject: optional(letter.subject),
    body: required(letter.body, 'letter.body'),
  };
  if (letter.translation === null) checked.translation = null;
  else if (letter.translation !== undefined) {
    const subject = optional(letter.translation.subject);
    checked.translation = {
      language: letter.translation.language,
      ...(subject ? { subject } : {}),
      body: required(letter.translation.body, 'letter.translation.body'),
    };
  }
  return checked;
}

/** Staff's contact for the letter page and for failure notices; empty fields left out, null when none. */
function checkContact(contact: CampaignContact | null): CampaignContact | null {
  if (contact === null) return null;
  const checked: CampaignContact = {};
  const name = optional(contact.name);
  const phone = optional(contact.phone);
  const email = optional(contact.email);
  if (name) checked.name = name;
  if (phone) checked.phone = phone;
  if (email) checked.email = checkEmail(email, 'contact.email');
  return Object.keys(checked).length === 0 ? null : checked;
}

/** A list of fax numbers or addresses, each checked, none twice. */
function checkList(items: string[], field: string, check: (item: string, field: string) => string) {
  const checked = items.map((item, n) => check(item, `${field}[${n}]`));
  const repeated = checked.find((item, n) => checked.indexOf(item) !== n);
  if (repeated) {
    const code = field.endsWith('emails') ? 'invalid_email' : 'invalid_fax_number';
    throw invalid(code, `${field} lists ${repeated} twice.`, field);
  }
  return checked;
}

function checkTarget(target: TargetRequest, index: number): TargetInput {
  const field = `targets[${index}]`;
  const faxNumbers = checkList(target.faxNumbers, `${field}.faxNumbers`, checkFaxNumber);
  const emails = checkList(target.emails ?? [], `${field}.emails`, checkEmail);
  if (faxNumbers.length === 0 && emails.length === 0) {
    throw invalid(
      'invalid_fax_number',
      `${field}.faxNumbers must list at least one fax number, or emails an address for the channel email.`,
      `${field}.faxNumbers`,
    );
  }
  const channel = target.channel ?? (faxNumbers.length > 0 ? 'fax-then-email' : 'email');
  if (channel !== 'email' && faxNumbers.length === 0) {
    throw invalid(
      'invalid_fax_number',
      `${field}.faxNumbers must list at least one fax number, unless the channel is email.`,
      `${field}.faxNumbers`,
    );
  }
  if (channel !== 'fax-then-email' && emails.length === 0) {
    throw invalid(
      'invalid_email',
      `${field}.emails must list at least one e-mail address for the channel ${channel}.`,
      `${field}.emails`,
    );
  }
  return {
    name: required(target.name, `${field}.name`),
    title: optional(target.title),
    organisation: optional(target.organisation),
    address: optional(target.address),
    salutation: required(target.salutation, `${field}.salutation`),
    faxNumbers,
    emails,
    channel,
    language: target.language ?? 'en',
    timezone: checkTimezone(target.timezone ?? DEFAULT_TIMEZONE, `${field}.timezone`),
  };
}

export function checkTargets(targets: TargetRequest[]): TargetInput[] {
  if (targets.length === 0) {
    throw invalid(
      'no_targets',
      'A campaign needs at least one target: an authority the fax goes to.',
      'targets',
    );
  }
  return targets.map(checkTarget);
}

/** The fields of a change that are present, checked; absent fields stay as they are. */
export function checkCampaignChange(
  request: CampaignChangeRequest,
  context: ValidationContext,
): CampaignChange {
  const change: CampaignChange = {};
  if (request.keyword !== undefined) change.keyword = checkKeyword(request.keyword, context.joinKeywords);
  if (request.title !== undefined) change.title = required(request.title, 'title');
  if (request.reference !== undefined) change.reference = optional(request.reference);
  if (request.shortTitle !== undefined) change.shortTitle = optional(request.shortTitle);
  if (request.contact !== undefined) change.contact = checkContact(request.contact);
  if (request.summary !== undefined) change.summary = optional(request.summary);
  if (request.letter !== undefined) change.letter = checkLetter(request.letter);
  if (request.targets !== undefined) change.targets = checkTargets(request.targets);
  if (request.closesAt !== undefined) {
    change.closesAt = request.closesAt === null ? null : checkClosesAt(request.closesAt, context.now);
  }
  if (request.replies !== undefined) change.replies = checkReplies(request.replies);
  if (request.batchDailyAt !== undefined) {
    change.batchDailyAt = request.batchDailyAt === null ? null : checkBatchDailyAt(request.batchDailyAt);
  }
  if (request.batchThreshold !== undefined) change.batchThreshold = request.batchThreshold;
  if (request.public !== undefined) change.public = request.public;
  return change;
}

/** A whole new campaign, checked and normalised. */
export function checkCampaign(request: CampaignRequest, context: ValidationContext): CampaignInput {
  const { keyword, title, letter, targets, ...optionalFields } = request;
  const input = {
    keyword: checkKeyword(keyword, context.joinKeywords),
    title: required(title, 'title'),
    letter: checkLetter(letter),
    targets: checkTargets(targets),
  };
  return { ...checkCampaignChange(optionalFields, context), ...input };
}
