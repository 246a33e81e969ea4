/**
 * The campaign form: what staff type, read into the API's request and checked once by the API's rules
 * in the console's own words (its labels, the organisation's clock), every problem under its field for
 * the view (views/campaign-form.ts) to show beside it.
 */
import type { CampaignChange, CampaignDetail, CampaignInput } from '../campaigns/service.js';
import {
  BATCH_THRESHOLD,
  type CampaignChangeRequest,
  type CampaignRequest,
  DEFAULT_TIMEZONE,
  MAX_TARGETS,
  type Problem,
  readCampaign,
  readCampaignChange,
  readFaxNumbers,
  type TargetRequest,
  type ValidationContext,
  type Wording,
} from '../campaigns/validation.js';
import type { AppError } from '../errors.js';
import { fromLocalInput, toLocalInput, wallClock } from '../time.js';
import { type Form, field } from './forms.js';
import {
  type CampaignFormData,
  type CampaignValues,
  CHANNELS,
  LANGUAGES,
  type Problems,
  type TargetValues,
} from './views/campaign-form.js';
import { displayTimeZone } from './views/layout.js';

const TARGET_FIELDS = [
  'name',
  'title',
  'organisation',
  'address',
  'salutation',
  'faxNumbers',
  'emails',
  'channel',
  'language',
  'timezone',
] as const;

/** The name of a target's field in the form: `target-0-name`, `target-1-faxNumbers` … */
export const TARGET_FIELD_NAME = `^target-\\d+-(${TARGET_FIELDS.join('|')})$`;

/** The target's fields that always hold a value (a default or a choice): they do not make a target. */
const PRESET_FIELDS: readonly string[] = ['timezone', 'channel', 'language'];

const isChoice = <T extends string>(choices: Record<T, string>, value: string): value is T =>
  Object.hasOwn(choices, value);

const BLANK_TARGET: TargetValues = {
  name: '',
  title: '',
  organisation: '',
  address: '',
  salutation: '',
  faxNumbers: '',
  emails: '',
  channel: 'fax-then-email',
  language: 'en',
  timezone: DEFAULT_TIMEZONE,
};

export function valuesOf(campaign: CampaignDetail | null): CampaignValues {
  const translation = campaign?.letter.translation ?? null;
  return {
    keyword: campaign?.keyword ?? '',
    title: campaign?.title ?? '',
    reference: campaign?.reference ?? '',
    shortTitle: campaign?.shortTitle ?? '',
    summary: campaign?.summary ?? '',
    subject: campaign?.letter.subject ?? '',
    body: campaign?.letter.body ?? '',
    translationLanguage: translation?.language ?? 'ru',
    translationSubject: translation?.subject ?? '',
    translationBody: translation?.body ?? '',
    contactName: campaign?.contact?.name ?? '',
    contactEmail: campaign?.contact?.email ?? '',
    contactPhone: campaign?.contact?.phone ?? '',
    closesAt: campaign?.closesAt ? toLocalInput(campaign.closesAt, displayTimeZone()) : '',
    thanks: campaign?.replies.thanks ?? '',
    batchDailyAt: campaign?.batchDailyAt ?? '',
    batchThreshold: campaign?.batchThreshold === null || !campaign ? '' : String(campaign.batchThreshold),
    public: campaign?.public ?? true,
    targets: (campaign?.targets ?? []).map((target) => ({
      name: target.name,
      title: target.title ?? '',
      organisation: target.organisation ?? '',
      address: target.address ?? '',
      salutation: target.salutation,
      faxNumbers: target.faxNumbers.join('\n'),
      emails: target.emails.join('\n'),
      channel: target.channel,
      language: target.language,
      timezone: target.timezone,
    })),
    slots: campaign ? 0 : 1,
  };
}

/** Whether the form drew target slot `i` (a slot the page's script removed sends nothing). */
const drawn = (form: unknown, i: number) => (form as Form | undefined)?.[`target-${i}-name`] !== undefined;

/** Whether staff typed anything into target slot `i`. */
const filled = (form: unknown, i: number) =>
  TARGET_FIELDS.some(
    (name) => !PRESET_FIELDS.includes(name) && field(form, `target-${i}-${name}`).trim() !== '',
  );

/** What the form sent; its blank target slots are kept as slots, so that the form comes back alike. */
export function valuesFromForm(form: unknown): CampaignValues {
  const count = Math.min(Number(field(form, 'targetCount')) || 0, MAX_TARGETS * 2);
  const targets: TargetValues[] = [];
  for (let i = 0; i < count; i++) {
    if (!filled(form, i)) continue;
    targets.push(
      Object.fromEntries(
        TARGET_FIELDS.map((name) => [name, field(form, `target-${i}-${name}`)]),
      ) as unknown as TargetValues,
    );
  }
  const text = (name: string) => field(form, name);
  // A slot removed by the page's script sends nothing: only the slots drawn and left empty count.
  let slots = 0;
  for (let i = 0; i < count; i++) if (drawn(form, i) && !filled(form, i)) slots++;
  return {
    keyword: text('keyword'),
    title: text('title'),
    reference: text('reference'),
    shortTitle: text('shortTitle'),
    summary: text('summary'),
    subject: text('subject'),
    body: text('body'),
    translationLanguage: text('translationLanguage') || 'ru',
    translationSubject: text('translationSubject'),
    translationBody: text('translationBody'),
    contactName: text('contactName'),
    contactEmail: text('contactEmail'),
    contactPhone: text('contactPhone'),
    closesAt: text('closesAt'),
    thanks: text('thanks'),
    batchDailyAt: text('batchDailyAt'),
    batchThreshold: text('batchThreshold'),
    // An unticked box is not sent: the hidden 'off' before it stands.
    public: text('public') !== 'off',
    targets: targets.slice(0, MAX_TARGETS),
    slots: targets.length === 0 ? Math.max(1, slots) : slots,
  };
}

/** The form's names and labels for the request's fields, where the form has a field of its own. */
const FIELDS: Record<string, { name: string; label: string }> = {
  keyword: { name: 'keyword', label: 'Keyword' },
  title: { name: 'title', label: 'Title' },
  reference: { name: 'reference', label: 'Reference' },
  shortTitle: { name: 'shortTitle', label: 'Short title' },
  summary: { name: 'summary', label: 'Summary' },
  'letter.subject': { name: 'subject', label: 'Letter subject' },
  'letter.body': { name: 'body', label: 'Letter' },
  'letter.translation.subject': { name: 'translationSubject', label: 'Translation’s subject' },
  'letter.translation.body': { name: 'translationBody', label: 'Translated letter' },
  'contact.email': { name: 'contactEmail', label: 'Contact e-mail' },
  closesAt: { name: 'closesAt', label: 'Deadline' },
  'replies.thanks': { name: 'thanks', label: 'Thanks reply' },
  batchDailyAt: { name: 'batchDailyAt', label: 'Daily batch time' },
  batchThreshold: { name: 'batchThreshold', label: 'Fax threshold' },
  targets: { name: 'target-0', label: 'Targets' },
};

const TARGET_LABELS: Record<string, string> = {
  name: 'Name',
  title: 'Title',
  organisation: 'Organisation',
  address: 'Address',
  salutation: 'Salutation',
  faxNumbers: 'Fax numbers',
  emails: 'E-mail addresses',
  channel: 'Send by',
  language: 'Language',
  timezone: 'Time zone',
};

/** The form's field (its name and label) for a request's field path; 'form' when it has none. */
function formField(path: string | undefined): { name: string; label: string } {
  if (path === undefined) return { name: 'form', label: 'The form' };
  const target = /^targets\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (target) {
    const index = Number(target[1]);
    const part = target[2];
    return part && Object.hasOwn(TARGET_LABELS, part)
      ? { name: `target-${index}-${part}`, label: `${TARGET_LABELS[part]} (target ${index + 1})` }
      : { name: `target-${index}`, label: `Target ${index + 1}` };
  }
  return FIELDS[path] ?? { name: 'form', label: path };
}

/** Which field of the form a refusal is about, so that it is shown there. */
export const fieldOfError = (error: AppError): string => formField(error.field).name;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "6 Dec 2026, 03:56 Europe/London time": a moment on the organisation's clock, as the form reads it. */
export function consoleTime(at: Date, timeZone = displayTimeZone()): string {
  const w = wallClock(at, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${w.day} ${MONTHS[w.month - 1]} ${w.year}, ${two(w.hour)}:${two(w.minute)} ${timeZone} time`;
}

/** The API's rules in the form's words: its labels, and the organisation's clock. */
export const CONSOLE_WORDING: Wording = {
  name: (path) => formField(path).label,
  time: (at) => consoleTime(at),
};

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

/**
 * The form's text read as the API's request. What cannot be read (a deadline that is no date, a
 * threshold that is no number, a choice not on the list) is a problem of its own and left out of the
 * request, so that the rest is still checked.
 */
function requestOf(values: CampaignValues): { request: CampaignRequest; problems: Problem[] } {
  const problems: Problem[] = [];
  const refuse = (code: string, path: string, message: string) =>
    problems.push({ code, field: path, message });
  const threshold = values.batchThreshold.trim();
  const { minimum, maximum } = BATCH_THRESHOLD;
  let batchThreshold: number | null | undefined = threshold === '' ? null : Number(threshold);
  if (
    threshold !== '' &&
    (!/^\d+$/.test(threshold) || Number(threshold) < minimum || Number(threshold) > maximum)
  ) {
    refuse(
      'invalid_batch_threshold',
      'batchThreshold',
      `The threshold must be a whole number from ${minimum} to ${maximum}.`,
    );
    batchThreshold = undefined;
  }
  const targets: TargetRequest[] = values.targets.map((target, i) => {
    const channel = target.channel.trim();
    const language = target.language.trim();
    // A form's select can be sent anything; left out, the API's defaults apply.
    if (channel !== '' && !isChoice(CHANNELS, channel)) {
      refuse('validation_failed', `targets[${i}].channel`, 'Choose how to send from the list.');
    }
    if (language !== '' && !isChoice(LANGUAGES, language)) {
      refuse('validation_failed', `targets[${i}].language`, 'Choose a language from the list.');
    }
    return {
      name: target.name,
      title: target.title,
      organisation: target.organisation,
      address: target.address,
      salutation: target.salutation,
      faxNumbers: lines(target.faxNumbers),
      emails: lines(target.emails),
      ...(isChoice(CHANNELS, channel) ? { channel } : {}),
      ...(isChoice(LANGUAGES, language) ? { language } : {}),
      timezone: target.timezone.trim() || DEFAULT_TIMEZONE,
    };
  });
  // The form's date and time are the organisation's clock (ORG_TIMEZONE), as its label says; stored in UTC.
  const closesAtText = values.closesAt.trim();
  let closesAt: string | null | undefined = null;
  if (closesAtText !== '') {
    const at = /Z$|[+-]\d\d:\d\d$/.test(closesAtText)
      ? new Date(closesAtText)
      : fromLocalInput(closesAtText, displayTimeZone());
    if (!at || Number.isNaN(at.getTime())) {
      refuse(
        'invalid_closes_at',
        'closesAt',
        'Give the deadline as a date and a time, e.g. 2026-12-01 18:00.',
      );
      closesAt = undefined;
    } else closesAt = at.toISOString();
  }
  const translationLanguage = values.translationLanguage;
  const hasTranslation = values.translationBody.trim() !== '' || values.translationSubject.trim() !== '';
  if (hasTranslation && !isChoice(LANGUAGES, translationLanguage)) {
    refuse(
      'validation_failed',
      'letter.translation.body',
      'Choose the translation’s language from the list.',
    );
  }
  const contact = { name: values.contactName, email: values.contactEmail, phone: values.contactPhone };
  const request: CampaignRequest = {
    keyword: values.keyword,
    title: values.title,
    reference: values.reference,
    shortTitle: values.shortTitle,
    summary: values.summary,
    letter: {
      subject: values.subject,
      body: values.body,
      translation:
        hasTranslation && isChoice(LANGUAGES, translationLanguage)
          ? {
              language: translationLanguage,
              subject: values.translationSubject,
              body: values.translationBody,
            }
          : null,
    },
    contact,
    targets,
    ...(closesAt === undefined ? {} : { closesAt }),
    replies: { thanks: values.thanks },
    batchDailyAt: values.batchDailyAt.trim() === '' ? null : values.batchDailyAt.trim(),
    ...(batchThreshold === undefined ? {} : { batchThreshold }),
    public: values.public,
  };
  return { request, problems };
}

/** Each problem under its field's name in the form, none twice. */
function problemsByField(problems: readonly Problem[]): Problems {
  const byField: Problems = new Map();
  for (const problem of problems) {
    const name = formField(problem.field).name;
    const messages = byField.get(name) ?? [];
    if (!messages.includes(problem.message)) messages.push(problem.message);
    byField.set(name, messages);
  }
  return byField;
}

/** A form read and checked: what to save, or every problem under its field. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problems };

function checked<T>(value: T, problems: readonly Problem[]): Checked<T> {
  return problems.length === 0 ? { ok: true, value } : { ok: false, problems: problemsByField(problems) };
}

/** The API's rules in the console's words: its labels and the organisation's clock. */
const worded = (context: ValidationContext): ValidationContext => ({ ...context, wording: CONSOLE_WORDING });

/** A new campaign's form, read and checked once: every problem of the form and of the API's rules. */
export function checkNewCampaign(values: CampaignValues, context: ValidationContext): Checked<CampaignInput> {
  const { request, problems } = requestOf(values);
  const read = readCampaign(request, worded(context));
  return checked(read.campaign, [...problems, ...read.problems]);
}

/**
 * An edit's form, read and checked once. Only what changed is checked (and sent), so that a campaign
 * past its draft can still be edited where allowed.
 */
export function checkCampaignEdit(
  before: CampaignDetail,
  values: CampaignValues,
  context: ValidationContext,
): Checked<CampaignChange> {
  const { request, problems } = requestOf(values);
  const { keyword, targets, ...rest } = request;
  const old = requestOf(valuesOf(before)).request;
  const change: CampaignChangeRequest = {
    ...rest,
    ...(keyword.trim().toUpperCase() === before.keyword ? {} : { keyword }),
    ...(JSON.stringify(targets) === JSON.stringify(old.targets) ? {} : { targets }),
    ...(rest.closesAt === old.closesAt ? { closesAt: undefined } : {}),
    // The form edits the thanks only; the other replies stay as they were.
    replies: { ...before.replies, thanks: values.thanks },
  };
  const read = readCampaignChange(change, worded(context));
  return checked(read.change, [...problems, ...read.problems]);
}

/** The problem the service refused a checked form with (a keyword taken, a rule of the campaign's state). */
export const refusalProblems = (error: AppError): Problems =>
  new Map([[fieldOfError(error), [error.message]]]);

/** What the form view shows: the values as typed, each target's numbers as understood so far. */
export function formData(
  csrf: string,
  action: string,
  values: CampaignValues,
  problems: Problems = new Map(),
): CampaignFormData {
  const targets = [...values.targets, ...Array.from({ length: values.slots }, () => BLANK_TARGET)];
  return {
    action,
    csrf,
    timeZone: displayTimeZone(),
    values,
    targets: targets.map((target) => ({
      values: target,
      understood: readFaxNumbers(target.faxNumbers).flatMap((reading) => reading.number ?? []),
    })),
    blank: BLANK_TARGET,
    problems,
  };
}

/** The form again after "Add another target" or "Remove this target" (without the page's script). */
export function reshaped(form: unknown, values: CampaignValues): CampaignValues | null {
  if (field(form, 'addTarget') !== '') {
    return values.targets.length + values.slots >= MAX_TARGETS
      ? values
      : { ...values, slots: values.slots + 1 };
  }
  const remove = field(form, 'removeTarget');
  if (!/^\d{1,3}$/.test(remove)) return null;
  // The button names the slot as drawn; the targets kept are the filled slots, in order.
  const slot = Number(remove);
  let index = 0;
  for (let i = 0; i < slot; i++) if (filled(form, i)) index++;
  if (filled(form, slot)) {
    const targets = values.targets.filter((_, i) => i !== index);
    return { ...values, targets, slots: targets.length === 0 ? Math.max(1, values.slots) : values.slots };
  }
  return { ...values, slots: Math.max(values.targets.length === 0 ? 1 : 0, values.slots - 1) };
}
