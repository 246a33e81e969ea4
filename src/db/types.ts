/**
 * The types of the schema's JSON columns and enums, apart from the tables: pure modules (the letter's
 * layout, the replies) and services use them without importing the schema, which only repositories do.
 */

/** The languages the letter's fixed parts are written in (src/fax/messages/, one catalogue each). */
export const TARGET_LANGUAGES = ['en', 'ru'] as const;
export type TargetLanguage = (typeof TARGET_LANGUAGES)[number];

/**
 * Who staff are for this campaign: on the letter page beside the organisation, and told when a delivery
 * fails.
 */
export interface CampaignContact {
  name?: string;
  email?: string;
  phone?: string;
}

/** The letter in the language of some targets: printed first to a target reading it, then the original. */
export interface LetterTranslation {
  language: TargetLanguage;
  subject?: string;
  body: string;
}

export interface CampaignReplies {
  /** Sent after signing; {name} is replaced by the signer's name. */
  thanks?: string;
  /** The action alert staff send to the network. */
  alert?: string;
}
