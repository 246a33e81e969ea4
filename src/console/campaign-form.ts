/**
 * The campaign form: what staff type, read into the API's request, checked by the API's rules in the
 * console's own words (its labels, the organisation's clock), and drawn again with every problem beside
 * its field.
 */
import type { CampaignDetail } from '../campaigns/service.js';
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
import { html, type SafeHtml } from '../html.js';
import { displayTimeZone, type PageContext } from './layout.js';

/** A target's fields as typed, so that a refused form comes back as it was sent. */
export interface TargetValues {
  name: string;
  title: string;
  organisation: string;
  address: string;
  salutation: string;
  faxNumbers: string;
  emails: string;
  channel: string;
  language: string;
  timezone: string;
}

export interface CampaignValues {
  keyword: string;
  title: string;
  reference: string;
  shortTitle: string;
  summary: string;
  subject: string;
  body: string;
  translationLanguage: string;
  translationSubject: string;
  translationBody: string;
  contactName: string;
  contactEmail: string;
  contactPhone: string;
  closesAt: string;
  thanks: string;
  batchDailyAt: string;
  batchThreshold: string;
  /** Shown at /act/<keyword> once open or closed. */
  public: boolean;
  targets: TargetValues[];
  /** Empty target slots drawn after the targets (one more each time "Add another target" is pressed). */
  slots: number;
}

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

/** The target's fields that always hold a value (a default or a choice): they do not make a target. */
const PRESET_FIELDS: readonly string[] = ['timezone', 'channel', 'language'];

export const CHANNELS: Record<NonNullable<TargetRequest['channel']>, string> = {
  'fax-then-email': 'Fax; e-mail when every fax number fails',
  email: 'E-mail only',
  both: 'Fax and e-mail',
};
export const LANGUAGES: Record<NonNullable<TargetRequest['language']>, string> = {
  en: 'English',
  ru: 'Russian',
};

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
export function formField(path: string | undefined): { name: string; label: string } {
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
export function requestOf(values: CampaignValues): { request: CampaignRequest; problems: Problem[] } {
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

/** Each field's problems, by the form's name for the field ('form' for the whole form). */
export type Problems = Map<string, string[]>;

export function problemsByField(problems: readonly Problem[]): Problems {
  const byField: Problems = new Map();
  for (const problem of problems) {
    const name = formField(problem.field).name;
    const messages = byField.get(name) ?? [];
    if (!messages.includes(problem.message)) messages.push(problem.message);
    byField.set(name, messages);
  }
  return byField;
}

/**
 * Every problem of a filled-in campaign form at once, each under its field, by the API's rules in the
 * console's words. `changeOf` narrows an edit to what changed; a new campaign (null) checks every field.
 */
export function problemsOf(
  values: CampaignValues,
  context: ValidationContext,
  changeOf: ((request: CampaignRequest) => CampaignChangeRequest) | null,
): Problems {
  const { request, problems } = requestOf(values);
  const worded = { ...context, wording: CONSOLE_WORDING };
  const checked = changeOf
    ? readCampaignChange(changeOf(request), worded).problems
    : readCampaign(request, worded).problems;
  return problemsByField([...problems, ...checked]);
}

/** A target's fieldset; `index` null draws the template the page's script copies. */
function targetBlock(
  target: TargetValues,
  index: number | null,
  problems: Problems,
  errorFor: (name: string) => SafeHtml | null,
): SafeHtml {
  const i = index ?? '__index__';
  const id = (name: string) => `target-${i}-${name}`;
  const invalid = (name: string) => (problems.has(id(name)) ? html`aria-invalid="true"` : null);
  const described = (name: string, hint = false) => {
    const ids = [hint ? `${id(name)}-hint` : '', problems.has(id(name)) ? `${id(name)}-error` : ''];
    const text = ids.filter(Boolean).join(' ');
    return text ? html`aria-describedby="${text}"` : null;
  };
  const line = (name: keyof TargetValues, label: string) =>
    html`<label for="${id(name)}">${label}</label>${errorFor(id(name))}<input type="text" id="${id(name)}" name="${id(name)}" value="${target[name]}" ${described(name)} ${invalid(name)}>`;
  const select = (name: 'channel' | 'language', label: string, choices: Record<string, string>) =>
    html`<label for="${id(name)}">${label}</label>${errorFor(id(name))}<select id="${id(name)}" name="${id(name)}">${Object.entries(
      choices,
    ).map(
      ([value, text]) =>
        html`<option value="${value}" ${target[name] === value ? html`selected` : null}>${text}</option>`,
    )}</select>`;
  const readings = readFaxNumbers(target.faxNumbers);
  const understood = readings.filter((reading) => reading.number !== null);
  return html`<fieldset id="target-${i}" class="target" data-target>
      <legend>Target <span data-target-number>${index === null ? '' : index + 1}</span></legend>
      ${errorFor(`target-${i}`)}
      ${line('name', 'Target’s name')}${line('title', 'Target’s title')}${line('organisation', 'Target’s organisation')}
      <label for="${id('address')}">Target’s address</label><textarea id="${id('address')}" name="${id('address')}" rows="2">${target.address}</textarea>
      ${line('salutation', 'Salutation (e.g. Dear Prosecutor General)')}
      <label for="${id('faxNumbers')}">Fax numbers, tried in order</label>
      <p class="hint" id="${id('faxNumbers')}-hint">As the action prints them, with the country code: one per line, or split by “/”, “,” or “;”, e.g. +7495 987 58 41/ +7495 692 17 25.</p>
      ${errorFor(id('faxNumbers'))}
      <textarea id="${id('faxNumbers')}" name="${id('faxNumbers')}" rows="2" data-fax-numbers="/console/fax-numbers.json" ${described('faxNumbers', true)} ${invalid('faxNumbers')}>${target.faxNumbers}</textarea>
      <p class="hint understood" id="${id('faxNumbers')}-understood" aria-live="polite" ${understood.length === 0 ? html`hidden` : null}>Understood as: <span data-understood>${understood.map((reading) => reading.number).join(', ')}</span></p>
      <label for="${id('emails')}">E-mail addresses, one per line, tried in order</label>
      ${errorFor(id('emails'))}
      <textarea id="${id('emails')}" name="${id('emails')}" rows="2" ${described('emails')} ${invalid('emails')}>${target.emails}</textarea>
      ${select('channel', 'Send by', CHANNELS)}
      ${select('language', 'Language of the letter’s fixed parts', LANGUAGES)}
      ${line('timezone', 'Time zone of the office (IANA, e.g. Europe/Moscow)')}
      <p><button type="submit" class="secondary" name="removeTarget" value="${i}" data-remove-target>Remove this target</button></p>
    </fieldset>`;
}

export function campaignForm(
  context: PageContext,
  action: string,
  values: CampaignValues,
  problems: Problems,
): SafeHtml {
  const errorFor = (name: string) => {
    const messages = problems.get(name);
    if (!messages) return null;
    return html`<div class="error" id="${name}-error">${messages.map((message) => html`<p>${message}</p>`)}</div>`;
  };
  const described = (name: string, hint?: string) =>
    [hint ? `${name}-hint` : '', problems.has(name) ? `${name}-error` : ''].filter(Boolean).join(' ') || null;
  const input = (
    name: keyof CampaignValues,
    label: string,
    options: { hint?: string; type?: string; required?: boolean } = {},
  ) =>
    html`<label for="${name}">${label}</label>
      ${options.hint && html`<p class="hint" id="${name}-hint">${options.hint}</p>`}
      ${errorFor(name)}
      <input type="${options.type ?? 'text'}" id="${name}" name="${name}" value="${values[name] as string}"
        ${options.required ? html`required` : null} ${described(name, options.hint) ? html`aria-describedby="${described(name, options.hint)}"` : null}
        ${problems.has(name) ? html`aria-invalid="true"` : null}>`;
  const area = (name: keyof CampaignValues, label: string, hint?: string) =>
    html`<label for="${name}">${label}</label>
      ${hint && html`<p class="hint" id="${name}-hint">${hint}</p>`}
      ${errorFor(name)}
      <textarea id="${name}" name="${name}" rows="${name === 'body' || name === 'translationBody' ? 10 : 3}" ${described(name, hint) ? html`aria-describedby="${described(name, hint)}"` : null}
        ${problems.has(name) ? html`aria-invalid="true"` : null}>${values[name] as string}</textarea>`;
  const targets = [...values.targets, ...Array.from({ length: values.slots }, () => BLANK_TARGET)];
  const count = problems.size;
  // The first submit button is the one Enter presses: it saves, rather than adding or removing a target.
  return html`<form method="post" action="${action}" novalidate data-campaign-form>
    <input type="hidden" name="_csrf" value="${context.csrf}">
    <input type="hidden" name="targetCount" value="${targets.length}" data-target-count>
    <button type="submit" class="visually-hidden" tabindex="-1" aria-hidden="true">Save</button>
    ${
      count > 0 &&
      html`<div class="problem" role="alert"><p>${count === 1 ? 'One field to put right' : `${count} fields to put right`}; each problem is shown beside its field:</p>
      <ul>${[...problems].flatMap(([name, messages]) => messages.map((message) => html`<li><a href="#${name === 'form' ? 'keyword' : name}">${message}</a></li>`))}</ul></div>`
    }
    ${errorFor('form')}
    ${input('keyword', 'Keyword', { hint: 'One word of 3–20 letters and digits that supporters text, e.g. MAGAMED.', required: true })}
    ${input('title', 'Title', { required: true })}
    ${input('reference', 'Reference (e.g. UA 123/25)')}
    ${input('shortTitle', 'Short title', { hint: 'The fax’s running header when there is no reference; up to 60 characters.' })}
    ${area('summary', 'Summary')}
    <h2>The letter</h2>
    ${input('subject', 'Letter subject')}
    ${area('body', 'Letter', 'The text of the fax, above the names.')}
    <h3>Translation</h3>
    <p class="hint">Printed first to the targets whose letter is in this language, then the original. Empty for none.</p>
    <label for="translationLanguage">Language of the translation</label>
    <select id="translationLanguage" name="translationLanguage">${Object.entries(LANGUAGES).map(
      ([value, text]) =>
        html`<option value="${value}" ${values.translationLanguage === value ? html`selected` : null}>${text}</option>`,
    )}</select>
    ${input('translationSubject', 'Translation’s subject')}
    ${area('translationBody', 'Translated letter')}
    <h3>Contact</h3>
    <p class="hint">On the letter page beside the organisation’s, and told when a delivery finally fails.</p>
    ${input('contactName', 'Contact name')}
    ${input('contactEmail', 'Contact e-mail', { type: 'email' })}
    ${input('contactPhone', 'Contact phone', { type: 'tel' })}
    <h2>Targets</h2>
    <div data-targets>${targets.map((target, i) => targetBlock(target, i, problems, errorFor))}</div>
    <template data-target-template>${targetBlock(BLANK_TARGET, null, new Map(), () => null)}</template>
    <p><button type="submit" class="secondary" name="addTarget" value="1" data-add-target>Add another target</button></p>
    <h2>Timing and replies</h2>
    ${input('closesAt', `Deadline (${displayTimeZone()} time)`, { type: 'datetime-local', hint: `Date and time as the clock in ${displayTimeZone()} shows it; empty for none.` })}
    ${area('thanks', 'Thanks reply', 'Texted after signing; {name} becomes the signer’s name. Empty for the default.')}
    ${input('batchDailyAt', 'Daily batch time (HH:MM, in the first target’s time zone)', { type: 'time' })}
    ${input('batchThreshold', 'Fax when this many names are waiting', { type: 'number' })}
    <h2>Public page</h2>
    <input type="hidden" name="public" value="off">
    <label class="check"><input type="checkbox" name="public" value="on" ${values.public ? html`checked` : null}>
      Show this action on its public page (/act/${values.keyword.trim().toUpperCase() || '…'}) once it opens: title, summary, how to sign, the count and each authority’s delivery record, never a name or a number</label>
    <p><button type="submit">Save</button> <a href="/console/campaigns">Cancel</a></p>
  </form>`;
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
