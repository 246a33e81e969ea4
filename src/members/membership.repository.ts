import { sql } from 'drizzle-orm';

/**
 * A member of the network who can be texted, as a condition on `supporters s`: consent recorded
 * (signed an action, joined or was imported: a number that only asked for help or said hello has a
 * supporter row but is texted nothing after its answer), opted in, not erased, a number kept.
 * Broadcast audiences and the members page count the same people.
 */
export const TEXTABLE_MEMBER = sql`s.consent_at IS NOT NULL AND s.opted_in AND s.erased_at IS NULL
  AND s.phone_ciphertext IS NOT NULL`;
