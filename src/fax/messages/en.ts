// The fixed parts of the letter, its running header and the e-mail that carries it, in English. Every
// catalogue has the same keys (test/fax/messages.test.ts); {names} in braces are filled in.

/** A message, or its plural forms by the CLDR category of the count (Intl.PluralRules). */
export type Message = string | Partial<Record<Intl.LDMLPluralRule, string>>;
/** What every catalogue holds: English's keys, each a text, or plural forms where English has them. */
export type Catalogue = { [K in keyof typeof en]: (typeof en)[K] extends string ? string : Message };

export const en = {
  /** How dates and numbers are written. */
  locale: 'en-GB',
  /** Between groups of three digits: one number format throughout the document. */
  digitGroup: ',',

  headerLetter: 'letter',
  headerSignatories: 'signatories',
  headerPage: 'page {page} of {pages}',
  headerPart: 'part {part} of {parts}',
  headerNumbers: 'nos. {first}–{last} of {total}',

  senderPhone: 'Tel. {phone}',
  senderEmail: 'E-mail {email}',
  senderContact: 'Contact: {contact}',
  recipientFax: 'Fax: {numbers}',
  recipientEmail: 'E-mail: {addresses}',
  reference: 'Reference: {reference}',
  partOf: 'Part {part} of {parts}. Signatories {first}–{last} of {total}.',
  pagesOne: 'This document: 1 page.',
  pagesMany: 'This document: {pages} pages, this one included.',
  resentFax: 'RESENT — this fax was interrupted and is sent again in full.',
  resentPart: 'RESENT — this part was interrupted and is sent again in full.',
  closing: 'Yours faithfully,',
  noSignatories: 'This letter has no signatories yet.',
  signed: {
    one: 'This letter is signed by {count} supporter of {org}, listed on the following pages.',
    other: 'This letter is signed by {count} supporters of {org}, listed on the following pages.',
  },
  signedInParts: {
    one:
      'This letter is signed by {count} supporter of {org}, listed in {parts} parts sent separately; ' +
      'this part lists signatories {first}–{last} on the following pages.',
    other:
      'This letter is signed by {count} supporters of {org}, listed in {parts} parts sent separately; ' +
      'this part lists signatories {first}–{last} on the following pages.',
  },
  original: 'The original text:',

  emailSubjectPart: '{subject} (part {part} of {parts})',
  emailAttached: 'The letter and its signatories are in the attached PDF ({pages} pages).',
  emailAttachment: 'letter-part-{part}-of-{parts}.pdf',
};
