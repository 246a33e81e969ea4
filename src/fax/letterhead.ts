import type { Config } from '../config.js';

/** The settings of the letter page's sender block, by the letterhead's field. */
const SETTINGS = { address: 'ORG_ADDRESS', email: 'ORG_EMAIL', phone: 'ORG_PHONE' } as const;

/** The letterhead's settings left unset, by name (ORG_ADDRESS, ORG_EMAIL, ORG_PHONE), in that order. */
export function missingLetterhead(letterhead: Config['letterhead']): string[] {
  return (Object.keys(SETTINGS) as Array<keyof typeof SETTINGS>)
    .filter((field) => !letterhead[field]?.trim())
    .map((field) => SETTINGS[field]);
}

/**
 * What an operator or a campaigner reads when the letter page lacks part of its sender block; null when
 * whole.
 */
export function letterheadWarning(letterhead: Config['letterhead'], orgName: string): string | null {
  const missing = missingLetterhead(letterhead);
  if (missing.length === 0) return null;
  const names =
    missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}`;
  return (
    `the letterhead is incomplete: ${names} ${missing.length === 1 ? 'is' : 'are'} not set, ` +
    `so the letter page names ${orgName} without ` +
    `${missing.length === 3 ? 'any way to reply' : 'all of its address, e-mail and phone'}; ` +
    'set them in .env or the environment'
  );
}
