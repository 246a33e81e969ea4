/**
 * The campaign form, drawn from what staff typed and the problems found, each beside its field. Pure:
 * the handler reads the form (console/campaign-form.ts) and gives this everything it shows.
 */
import { html, type SafeHtml } from '../../html.js';

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

/** Each field's problems, by the form's name for the field ('form' for the whole form). */
export type Problems = Map<string, string[]>;

/** A target slot as drawn: what was typed, and the fax numbers it is understood as so far. */
export interface TargetSlot {
  values: TargetValues;
  understood: string[];
}

/** Everything the form shows. */
export interface CampaignFormData {
  /** Where the form posts. */
  action: string;
  csrf: string;
  /** The organisation's clock, in which the deadline is typed. */
  timeZone: string;
  values: CampaignValues;
  /** The targets typed, then the empty slots. */
  targets: TargetSlot[];
  /** The empty target the page's script copies. */
  blank: TargetValues;
  problems: Problems;
}

/** How a target is sent the letter (the targets table's channel). */
export type Channel = 'fax-then-email' | 'email' | 'both';
/** The languages of the letter's fixed parts. */
export type Language = 'en' | 'ru';

export const CHANNELS: Record<Channel, string> = {
  'fax-then-email': 'Fax; e-mail when every fax number fails',
  email: 'E-mail only',
  both: 'Fax and e-mail',
};
export const LANGUAGES: Record<Language, string> = {
  en: 'English',
  ru: 'Russian',
};

type ErrorFor = (name: string) => SafeHtml | null;

/** A target's fieldset; `index` null draws the template the page's script copies. */
function targetBlock(slot: TargetSlot, index: number | null, problems: Problems, errorFor: ErrorFor) {
  const target = slot.values;
  const i = index ?? '__index__';
  const id = (name: string) => `target-${i}-${name}`;
  const invalid = (name: string) => (problems.has(id(name)) ? html`aria-invalid="true"` : null);
  const described = (name: string, hint = false) => {
    const ids = [hint ? `${id(name)}-hint` : '', problems.has(id(name)) ? `${id(name)}-error` : ''];
    const text = ids.filter(Boolean).join(' ');
    return text ? html`aria-describedby="${text}"` : null;
  };
  const line = (name: keyof TargetValues, label: string) => {
    const at = id(name);
    return html`<label for="${at}">${label}</label>${errorFor(at)}<input type="text"
      id="${at}" name="${at}" value="${target[name]}" ${described(name)} ${invalid(name)}>`;
  };
  const options = (name: 'channel' | 'language', choices: Record<string, string>) =>
    Object.entries(choices).map(
      ([value, text]) =>
        html`<option value="${value}" ${target[name] === value ? html`selected` : null}>${text}</option>`,
    );
  const select = (name: 'channel' | 'language', label: string, choices: Record<string, string>) =>
    html`<label for="${id(name)}">${label}</label>${errorFor(id(name))}<select id="${id(name)}"
      name="${id(name)}">${options(name, choices)}</select>`;
  const fax = id('faxNumbers');
  const understood = html`Understood as: <span data-understood>${slot.understood.join(', ')}</span>`;
  return html`<fieldset id="target-${i}" class="target" data-target>
      <legend>Target <span data-target-number>${index === null ? '' : index + 1}</span></legend>
      ${errorFor(`target-${i}`)}
      ${[
        line('name', 'Target’s name'),
        line('title', 'Target’s title'),
        line('organisation', 'Target’s organisation'),
      ]}
      <label for="${id('address')}">Target’s address</label><textarea id="${id('address')}"
        name="${id('address')}" rows="2">${target.address}</textarea>
      ${line('salutation', 'Salutation (e.g. Dear Prosecutor General)')}
      <label for="${fax}">Fax numbers, tried in order</label>
      <p class="hint" id="${fax}-hint">As the action prints them, with the country code: one per line,
        or split by “/”, “,” or “;”, e.g. +7495 987 58 41/ +7495 692 17 25.</p>
      ${errorFor(fax)}
      <textarea id="${fax}" name="${fax}" rows="2" data-fax-numbers="/console/fax-numbers.json"
        ${described('faxNumbers', true)} ${invalid('faxNumbers')}>${target.faxNumbers}</textarea>
      <p class="hint understood" id="${fax}-understood" aria-live="polite"
        ${slot.understood.length === 0 ? html`hidden` : null}>${understood}</p>
      <label for="${id('emails')}">E-mail addresses, one per line, tried in order</label>
      ${errorFor(id('emails'))}
      <textarea id="${id('emails')}" name="${id('emails')}" rows="2" ${described('emails')}
        ${invalid('emails')}>${target.emails}</textarea>
      ${select('channel', 'Send by', CHANNELS)}
      ${select('language', 'Language of the letter’s fixed parts', LANGUAGES)}
      ${line('timezone', 'Time zone of the office (IANA, e.g. Europe/Moscow)')}
      <p><button type="submit" class="secondary" name="removeTarget" value="${i}"
        data-remove-target>Remove this target</button></p>
    </fieldset>`;
}

/** The list of every problem above the form, each a link to its field. */
function problemList(problems: Problems): SafeHtml | null {
  const count = problems.size;
  if (count === 0) return null;
  const items = [...problems].flatMap(([name, messages]) =>
    messages.map((message) => html`<li><a href="#${name === 'form' ? 'keyword' : name}">${message}</a></li>`),
  );
  return html`<div class="problem" role="alert"><p>${
    count === 1 ? 'One field to put right' : `${count} fields to put right`
  }; each problem is shown beside its field:</p>
      <ul>${items}</ul></div>`;
}

export function campaignFormView(form: CampaignFormData): SafeHtml {
  const { values, problems, timeZone } = form;
  const errorFor: ErrorFor = (name) => {
    const messages = problems.get(name);
    if (!messages) return null;
    const paragraphs = messages.map((message) => html`<p>${message}</p>`);
    return html`<div class="error" id="${name}-error">${paragraphs}</div>`;
  };
  const described = (name: string, hint?: string) => {
    const ids = [hint ? `${name}-hint` : '', problems.has(name) ? `${name}-error` : ''].filter(Boolean);
    return ids.length > 0 ? html`aria-describedby="${ids.join(' ')}"` : null;
  };
  const invalid = (name: string) => (problems.has(name) ? html`aria-invalid="true"` : null);
  const input = (
    name: keyof CampaignValues,
    label: string,
    options: { hint?: string; type?: string; required?: boolean } = {},
  ) =>
    html`<label for="${name}">${label}</label>
      ${options.hint && html`<p class="hint" id="${name}-hint">${options.hint}</p>`}
      ${errorFor(name)}
      <input type="${options.type ?? 'text'}" id="${name}" name="${name}" value="${values[name] as string}"
        ${options.required ? html`required` : null} ${described(name, options.hint)}
        ${invalid(name)}>`;
  const area = (name: keyof CampaignValues, label: string, hint?: string) =>
    html`<label for="${name}">${label}</label>
      ${hint && html`<p class="hint" id="${name}-hint">${hint}</p>`}
      ${errorFor(name)}
      <textarea id="${name}" name="${name}" rows="${
        name === 'body' || name === 'translationBody' ? 10 : 3
      }" ${described(name, hint)}
        ${invalid(name)}>${values[name] as string}</textarea>`;
  const blank: TargetSlot = { values: form.blank, understood: [] };
  const shown = values.public ? html`checked` : null;
  const translationLanguages = Object.entries(LANGUAGES).map(([value, text]) => {
    const selected = values.translationLanguage === value ? html`selected` : null;
    return html`<option value="${value}" ${selected}>${text}</option>`;
  });
  // The first submit button is the one Enter presses: it saves, rather than adding or removing a target.
  return html`<form method="post" action="${form.action}" novalidate data-campaign-form>
    <input type="hidden" name="_csrf" value="${form.csrf}">
    <input type="hidden" name="targetCount" value="${form.targets.length}" data-target-count>
    <button type="submit" class="visually-hidden" tabindex="-1" aria-hidden="true">Save</button>
    ${problemList(problems)}
    ${errorFor('form')}
    ${input('keyword', 'Keyword', {
      hint: 'One word of 3–20 letters and digits that supporters text, e.g. MAGAMED.',
      required: true,
    })}
    ${input('title', 'Title', { required: true })}
    ${input('reference', 'Reference (e.g. UA 123/25)')}
    ${input('shortTitle', 'Short title', {
      hint: 'The fax’s running header when there is no reference; up to 60 characters.',
    })}
    ${area('summary', 'Summary')}
    <h2>The letter</h2>
    ${input('subject', 'Letter subject')}
    ${area('body', 'Letter', 'The text of the fax, above the names.')}
    <h3>Translation</h3>
    <p class="hint">Printed first to the targets whose letter is in this language, then the original.
      Empty for none.</p>
    <label for="translationLanguage">Language of the translation</label>
    <select id="translationLanguage" name="translationLanguage">${translationLanguages}</select>
    ${input('translationSubject', 'Translation’s subject')}
    ${area('translationBody', 'Translated letter')}
    <h3>Contact</h3>
    <p class="hint">On the letter page beside the organisation’s, and told when a delivery finally fails.</p>
    ${input('contactName', 'Contact name')}
    ${input('contactEmail', 'Contact e-mail', { type: 'email' })}
    ${input('contactPhone', 'Contact phone', { type: 'tel' })}
    <h2>Targets</h2>
    <div data-targets>${form.targets.map((slot, i) => targetBlock(slot, i, problems, errorFor))}</div>
    <template data-target-template>${targetBlock(blank, null, new Map(), () => null)}</template>
    <p><button type="submit" class="secondary" name="addTarget" value="1"
      data-add-target>Add another target</button></p>
    <h2>Timing and replies</h2>
    ${input('closesAt', `Deadline (${timeZone} time)`, {
      type: 'datetime-local',
      hint: `Date and time as the clock in ${timeZone} shows it; empty for none.`,
    })}
    ${area(
      'thanks',
      'Thanks reply',
      'Texted after signing; {name} becomes the signer’s name. Empty for the default.',
    )}
    ${input('batchDailyAt', 'Daily batch time (HH:MM, in the first target’s time zone)', { type: 'time' })}
    ${input('batchThreshold', 'Fax when this many names are waiting', { type: 'number' })}
    <h2>Public page</h2>
    <input type="hidden" name="public" value="off">
    <label class="check"><input type="checkbox" name="public" value="on" ${shown}>
      Show this action on its public page (/act/${values.keyword.trim().toUpperCase() || '…'})
      once it opens: title, summary, how to sign, the count and each authority’s delivery record,
      never a name or a number</label>
    <p><button type="submit">Save</button> <a href="/console/campaigns">Cancel</a></p>
  </form>`;
}

/** The new or edit page's body: its heading, then the form. */
export function campaignFormPage(title: string, form: CampaignFormData): SafeHtml {
  return html`<h1>${title}</h1>${campaignFormView(form)}`;
}
