import { HOLD_RULES } from '../supporters/names.js';
import type { TextRows } from './batches.js';
import { type Decision, MEMBER_ON_FILE } from './conversation.js';
import { type InputRow, ROW_COLUMNS, type TryResult } from './inbound.repository.js';
import { roomForName } from './replies.js';

/**
 * A text's decision as the rows of the inbound statements (inbound.repository.ts). Pure: the inbound service
 * writes them, and a property test checks that a member's row stands for every member it may be
 * written for.
 */

/** The terms a supporter accepts by signing or joining by text, recorded with their consent. */
export const SMS_TERMS_VERSION = 'sms-terms-2026-11';

/** What a row keeps of the text. */
export interface TextFields {
  messageSid: string;
  to: string | null;
  body: string;
}

/** The sender's number as stored: encrypted (once per text), and its blind index. */
export type Sender = { phone_ciphertext: string; phone_index: string };

/** The supporter as a text's decision was made on: none, or a row at a version. */
export type Seen = Pick<TryResult, 'supporter' | 'supporter_version'>;
const NOBODY: Seen = { supporter: null, supporter_version: null };
/** Any member as a decision made before their row is read assumes them (written only if it holds). */
const A_MEMBER: Seen = { supporter: MEMBER_ON_FILE, supporter_version: null };

/** Postgres text cannot hold NUL; nothing else a phone sends is refused. */
const storable = (body: string) => body.replaceAll('\u0000', '');

/** The text's row (see inbound.repository.ts): the supporter seen, changed as decided. */
export function inputRow(
  text: TextFields,
  sender: Sender,
  seen: Seen,
  decision: Decision,
  suppressed: boolean,
  now: Date,
  kind: 'new' | 'member' | 'any',
): InputRow {
  const { supporter: change, signature } = decision;
  const known = seen.supporter;
  // Not `...sender`: Node 20 builds an object begun by a spread and extended with more properties
  // a hundred times slower (about 0.1 ms here, as much as the text's statements cost the process).
  return {
    kind,
    phone_ciphertext: sender.phone_ciphertext,
    phone_index: sender.phone_index,
    supporter_version: seen.supporter_version,
    name: change.name ?? null,
    name_cleared_under: change.name !== undefined && change.nameCleared ? HOLD_RULES : null,
    name_room: roomForName(decision.reply),
    opted_in: change.optedIn ?? known?.optedIn ?? true,
    no_call: change.noCall ?? false,
    pending_campaign_id: change.pending ? change.pending.campaignId : (known?.pendingCampaignId ?? null),
    pending_attempts: change.pending ? change.pending.attempts : (known?.pendingAttempts ?? 0),
    source: change.source ?? 'sms',
    consent: change.consent ?? null,
    consent_terms: SMS_TERMS_VERSION,
    // ISO text: pg's own Date formatting costs more than the rest of the row together.
    received_at: now.toISOString(),
    message_sid: text.messageSid,
    to_number: text.to,
    body: storable(text.body),
    outcome: decision.outcome,
    campaign_id: decision.campaignId,
    reply: decision.reply,
    reply_limited: decision.reply !== '' && !decision.alwaysReply,
    reply_suppressed: suppressed,
    signature_campaign_id: signature?.campaignId ?? null,
    signature_name: signature?.name ?? null,
    signature_status: signature?.status ?? null,
    hold_reason: signature?.holdReason ?? null,
  };
}

/**
 * The text's rows decided before its number is read (see TRY_TEXTS): `asNew` for an unknown number,
 * and `asMember` (decided for MEMBER_ON_FILE) when it differs; one row for both when not. RECEIPT
 * from a member is answered from what is read, so it has no member's row.
 */
export function decidedAheadRows(
  text: TextFields,
  sender: Sender,
  asNew: Decision,
  asMember: Decision,
  now: Date,
): TextRows {
  const newRow = inputRow(text, sender, NOBODY, asNew, false, now, 'new');
  if (asMember.receiptFor) return [newRow];
  const memberRow = inputRow(text, sender, A_MEMBER, asMember, false, now, 'member');
  if (ROW_COLUMNS.every((column) => column === 'kind' || newRow[column] === memberRow[column])) {
    newRow.kind = 'any';
    return [newRow];
  }
  return [newRow, memberRow];
}
