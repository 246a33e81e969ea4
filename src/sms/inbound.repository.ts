/**
 * The statements of an inbound text: the one repository with SQL of its own shape. They run on every
 * text, so they are plain SQL prepared once per connection on the hot pool (`database.query`), each
 * one round trip, and texts arriving together share one statement: the rows of `i`, one array
 * parameter per column. `npm run bench -- webhook` is why: the drizzle builder and one transaction per
 * text halved the throughput in a flood.
 *
 * It is the documented exception to "a repository touches its own room's tables": besides
 * inbound_messages (sms's own) it reads and writes supporters, campaigns and signatures, and, for the
 * RECEIPT reply, reads fax_deliveries and targets, all in its own statements, so that a text costs one
 * or two round trips and sms imports no room above it.
 *
 * A text is decided ahead: before its number is read, against the campaigns as this process last saw
 * them, once as for an unknown number and once as for a member on file (see inbound.ts). TRY_TEXTS
 * writes that decision when what it reads matches what the decision assumed, else returns the context
 * to decide on, and WRITE_TEXTS writes the decision made on it.
 */

import type { Database } from '../db/client.js';
import type { CampaignStatus, DeliveryChannel, FaxDeliveryStatus, SignatureStatus } from '../db/rows.js';
import type { CampaignReplies } from '../db/types.js';
import type { SupporterView } from './conversation.js';
import { GSM_BASIC_PATTERN } from './segments.js';

/** The columns of a text's row, in parameter order. */
const INPUT = [
  /** Which text of the statement the row is: a text may come with two rows (see TRY_TEXTS). */
  ['text_no', 'int'],
  /** Whom the row's decision is for: 'new' (an unknown number), 'member' (a member on file), 'any'. */
  ['kind', 'text'],
  ['phone_ciphertext', 'text'],
  ['phone_index', 'text'],
  /** The supporter row as read (its xmin; null: no supporter): a known supporter is written only onto it. */
  ['supporter_version', 'text'],
  /** The name this text gives the supporter (null: it keeps theirs), and the hold rules it passed. */
  ['name', 'text'],
  ['name_cleared_under', 'text'],
  /** A member's row: the most characters the name on file may have for the reply to stay one segment. */
  ['name_room', 'int'],
  // The supporter's state after this text, whether the text changes it or not.
  ['opted_in', 'boolean'],
  ['no_call', 'boolean'],
  ['pending_campaign_id', 'bigint'],
  ['pending_attempts', 'smallint'],
  /** Where the supporter came from, kept only when not known yet. */
  ['source', 'text'],
  /**
   * Consent to texts, which makes a member of the network: 'give' (signing, a join keyword) records it;
   * 'renew' (START) records it again for a member only; null leaves it (HELP, hello, RECEIPT...).
   */
  ['consent', 'text'],
  ['consent_terms', 'text'],
  ['received_at', 'timestamptz'],
  ['message_sid', 'text'],
  ['to_number', 'text'],
  ['body', 'text'],
  ['outcome', 'text'],
  ['campaign_id', 'bigint'],
  ['reply', 'text'],
  /** The reply is withheld past the flood guard (it is not one that always goes). */
  ['reply_limited', 'boolean'],
  ['reply_suppressed', 'boolean'],
  /** null: the text signs nothing. */
  ['signature_campaign_id', 'bigint'],
  ['signature_name', 'text'],
  ['signature_status', 'signature_status'],
  ['hold_reason', 'text'],
] as const;

type Column = Exclude<(typeof INPUT)[number][0], 'text_no'>;
export type InputRow = Record<Column, string | number | boolean | null>;
/** The columns of a row as the caller makes it. */
export const ROW_COLUMNS = INPUT.flatMap(([column]) => (column === 'text_no' ? [] : [column]));

/** The parameters for some texts, each with its rows: one array per column. */
function inputParams(texts: readonly (readonly InputRow[])[]): unknown[] {
  // Plain loops: this runs for every text of a flood, and array helpers allocate per column and text.
  const params = INPUT.map((): unknown[] => []);
  for (let n = 0; n < texts.length; n++) {
    for (const row of texts[n] as readonly InputRow[]) {
      for (let c = 0; c < INPUT.length; c++) {
        const column = (INPUT[c] as (typeof INPUT)[number])[0];
        (params[c] as unknown[]).push(column === 'text_no' ? n + 1 : row[column]);
      }
    }
  }
  return params;
}

/** GSM-7 basic characters only, as an SQL string literal (segments.ts). */
const GSM_NAME = `'${GSM_BASIC_PATTERN.replaceAll("'", "''")}'`;

/** TRY_TEXTS's parameters after the input's columns, in order (tryTextsParams). */
const [CAMPAIGNS, REPLIES_PER_HOUR, HOLD_RULES, NAME_ON_FILE] = [1, 2, 3, 4].map(
  (n) => `$${INPUT.length + n}`,
) as [string, string, string, string];

export interface TryTextsOptions {
  /** The campaigns the decisions were made on, as Postgres renders them. */
  campaignsText: string;
  repliesPerHour: number;
  holdRules: string;
  /** What stands for the name on file in a member's row. */
  nameOnFile: string;
}

function tryTextsParams(texts: readonly (readonly InputRow[])[], options: TryTextsOptions): unknown[] {
  const { campaignsText, repliesPerHour, holdRules, nameOnFile } = options;
  return [...inputParams(texts), campaignsText, repliesPerHour, holdRules, nameOnFile];
}

const inputRows = (name: string) => `
${name} AS (
  SELECT * FROM unnest(${INPUT.map(([, type], n) => `$${n + 1}::${type}[]`).join(', ')})
    AS ${name}(${INPUT.map(([column]) => column).join(', ')})
)`;

/** A campaign as CAMPAIGNS_TEXT renders it: JSON, so its time is a string. */
export interface RenderedCampaign {
  id: number;
  keyword: string;
  status: Exclude<CampaignStatus, 'draft'>;
  closesAt: string | null;
  replies: CampaignReplies;
}

/**
 * One campaign per keyword: the open one, else the latest closed; drafts are not revealed. As text,
 * so that a caller can hand back exactly what it decided on.
 */
const CAMPAIGNS_TEXT = `
  SELECT coalesce(json_agg(c), '[]')::text FROM (
    SELECT DISTINCT ON (upper(k.keyword)) k.id, upper(k.keyword) AS keyword, k.status,
           k.closes_at AS "closesAt", k.replies
      FROM campaigns k WHERE k.status <> 'draft'
     ORDER BY upper(k.keyword), k.status = 'open' DESC, k.closed_at DESC NULLS LAST, k.id DESC) c`;

/** Replies drawn by supporter `id` in the hour before `at`: the flood guard stops at SMS_REPLIES_PER_HOUR. */
const repliesLastHour = (id: string, at: string) => `
  (SELECT count(*)::int FROM inbound_messages r
    WHERE r.supporter_id = ${id} AND r.received_at > ${at} - interval '1 hour'
      AND r.reply <> '' AND NOT r.reply_suppressed)`;

/** What the conversation needs to know about text `t`, whose decision made ahead was not written. */
const CONTEXT = `
  SELECT (SELECT json_build_object('reply', d.reply, 'suppressed', d.reply_suppressed)
            FROM inbound_messages d WHERE d.message_sid = t.message_sid) AS duplicate,
         CASE WHEN p.id IS NOT NULL THEN json_build_object('name', p.name, 'optedIn', p.opted_in,
              'member', p.consent_at IS NOT NULL,
              'nameCleared', p.name_cleared_under = ${HOLD_RULES},
              'pendingCampaignId', p.pending_campaign_id, 'pendingAttempts', p.pending_attempts)
         END AS supporter,
         p.xmin::text AS supporter_version,
         ${repliesLastHour('p.id', 't.received_at')} AS replies_last_hour,
         (SELECT coalesce(array_agg(sg.campaign_id), '{}') FROM signatures sg
           WHERE sg.supporter_id = p.id) AS signed,
         -- Only when not those the text was decided on: a network's past actions make it long.
         nullif((${CAMPAIGNS_TEXT}), ${CAMPAIGNS}) AS campaigns
    FROM (SELECT) AS one LEFT JOIN supporters p ON p.phone_index = t.phone_index`;

/** A new supporter row: a member (consent recorded) only when the text signs or joins. */
const NEW_SUPPORTER = `(phone_ciphertext, phone_index, name, name_cleared_under, opted_in, opted_out_at,
    no_call, consent_at, consent_message_sid, consent_terms, source, pending_campaign_id, pending_attempts)
  SELECT i.phone_ciphertext, i.phone_index, i.name, i.name_cleared_under, i.opted_in,
         CASE WHEN i.opted_in THEN NULL ELSE i.received_at END, i.no_call,
         CASE WHEN i.consent = 'give' THEN i.received_at END,
         CASE WHEN i.consent = 'give' THEN i.message_sid END,
         CASE WHEN i.consent = 'give' THEN i.consent_terms END,
         i.source, i.pending_campaign_id, i.pending_attempts
    FROM i`;

/** Whether text `i` records consent on the known supporter `sp`: START only renews a member's. */
const CONSENTS = `(i.consent = 'give' OR (i.consent = 'renew' AND sp.consent_at IS NOT NULL))`;

/**
 * A known supporter row `sp` as text `i` leaves it. Every text updates it, so that the next text from
 * the number sees a new version.
 */
const UPDATE_SUPPORTER = `
  UPDATE supporters sp SET
    updated_at = i.received_at,
    name = coalesce(i.name, sp.name),
    name_cleared_under = CASE WHEN i.name IS NULL THEN sp.name_cleared_under ELSE i.name_cleared_under END,
    opted_in = i.opted_in,
    opted_out_at = CASE WHEN i.opted_in THEN NULL ELSE coalesce(sp.opted_out_at, i.received_at) END,
    no_call = sp.no_call OR i.no_call,
    consent_at = CASE WHEN ${CONSENTS} THEN i.received_at ELSE sp.consent_at END,
    consent_message_sid = CASE WHEN ${CONSENTS} THEN i.message_sid ELSE sp.consent_message_sid END,
    consent_terms = CASE WHEN ${CONSENTS} THEN i.consent_terms ELSE sp.consent_terms END,
    source = coalesce(sp.source, i.source),
    pending_campaign_id = i.pending_campaign_id,
    pending_attempts = i.pending_attempts
    FROM i`;

/** The messages and their signatures, gated on the supporter rows `s`; shared by both writes. */
const MESSAGE_AND_SIGNATURE = `
m AS (
  -- The message insert is the gate: when one MessageSid arrives twice at once, only the text
  -- whose message row lands writes its signature.
  INSERT INTO inbound_messages (message_sid, supporter_id, to_number, body, outcome, campaign_id, reply,
                                reply_suppressed, received_at)
  SELECT i.message_sid, s.id, i.to_number, i.body, i.outcome, i.campaign_id, i.reply,
         i.reply_suppressed, i.received_at
    FROM i JOIN s USING (phone_index)
  ON CONFLICT (message_sid) DO NOTHING
  RETURNING id, supporter_id, message_sid, reply
), g AS (
  INSERT INTO signatures (campaign_id, supporter_id, name, status, hold_reason, inbound_message_id, signed_at)
  SELECT i.signature_campaign_id, m.supporter_id, i.signature_name, i.signature_status, i.hold_reason,
         m.id, i.received_at
    FROM i JOIN m USING (message_sid)
   WHERE i.signature_campaign_id IS NOT NULL
  -- A name held because the fax cannot draw it is replaced by the spelling the signer sends, until
  -- staff moderate it or it is faxed; any other signature stays as it was.
  ON CONFLICT (campaign_id, supporter_id) DO UPDATE
    SET name = excluded.name, status = excluded.status, hold_reason = excluded.hold_reason,
        inbound_message_id = excluded.inbound_message_id
    WHERE signatures.status = 'held' AND signatures.hold_reason = 'unsupported-script'
      AND signatures.batch_id IS NULL AND excluded.status <> 'late'
  RETURNING id, inbound_message_id
)`;

/** The columns of `input` as the chosen rows `i`, NAME_ON_FILE replaced in a member's row. */
const CHOSEN_COLUMNS = INPUT.map(([column]) =>
  column === 'reply' || column === 'signature_name'
    ? `CASE WHEN input.kind = 'member' THEN replace(input.${column}, ${NAME_ON_FILE}, seen.name_on_file)
            ELSE input.${column} END AS ${column}`
    : `input.${column}`,
).join(', ');

/**
 * Writes each text as decided before its number was read, when what it finds is what the decision
 * assumed, and reads the context of the others instead, in one statement. A text comes with the
 * decision for an unknown number (kind 'new'), and, when it differs, the decision for MEMBER_ON_FILE
 * (kind 'member'; see conversation.ts), or one row for both (kind 'any'). A row is written when the
 * campaigns are those the decisions were made on (CAMPAIGNS), the MessageSid is new, and:
 * - 'new' or 'any': the number is unknown;
 * - 'member' or 'any': the number is a member (consent recorded) who is opted in, has no question pending,
 *   has not signed the row's campaign and is under the flood guard (REPLIES_PER_HOUR) if the reply counts; a
 *   'member' row also needs a name on file that passed the current hold rules (HOLD_RULES), which
 *   stands for NAME_ON_FILE in its reply and signature.
 * A member is updated only if their row is still the version this statement read (another
 * transaction may change it meanwhile). A text written by neither row gets its context (read before
 * this statement's writes) and is decided on it and written by WRITE_TEXTS. The texts of one call
 * have distinct numbers and MessageSids.
 */
const TRY_TEXTS = `
WITH ${inputRows('input')}, texts AS (
  SELECT DISTINCT ON (text_no) text_no, phone_index, message_sid, received_at FROM input ORDER BY text_no
), seen AS (
  SELECT t.text_no, sp.id AS supporter_id, sp.xmin AS version, sp.name AS name_on_file,
         sp.opted_in AND sp.pending_campaign_id IS NULL AND sp.consent_at IS NOT NULL AS plain,
         sp.name IS NOT NULL AND sp.name_cleared_under = ${HOLD_RULES} AS name_cleared
    FROM texts t LEFT JOIN supporters sp ON sp.phone_index = t.phone_index
   WHERE ${CAMPAIGNS} = (${CAMPAIGNS_TEXT})
     -- A scalar subquery rather than NOT EXISTS, which the planner may turn into a scan of all messages.
     AND (SELECT x.id FROM inbound_messages x WHERE x.message_sid = t.message_sid) IS NULL
), i AS (
  SELECT ${CHOSEN_COLUMNS}, seen.supporter_id, seen.version
    FROM input JOIN seen USING (text_no)
   WHERE CASE
     WHEN seen.supporter_id IS NULL THEN input.kind <> 'member'
     WHEN input.kind = 'new' OR NOT seen.plain THEN false
     ELSE (input.kind = 'any' OR seen.name_cleared)
      -- The name on file fits the reply's room in one segment, without changing its encoding.
      AND (input.name_room IS NULL OR (char_length(seen.name_on_file) <= input.name_room
           AND seen.name_on_file ~ ${GSM_NAME}))
      AND (input.campaign_id IS NULL OR NOT EXISTS (
            SELECT FROM signatures sg
             WHERE sg.campaign_id = input.campaign_id AND sg.supporter_id = seen.supporter_id))
      AND NOT (input.reply_limited
               AND ${repliesLastHour('seen.supporter_id', 'input.received_at')} >= ${REPLIES_PER_HOUR})
   END
), created AS (
  INSERT INTO supporters ${NEW_SUPPORTER} WHERE i.supporter_id IS NULL
  ON CONFLICT (phone_index) DO NOTHING
  RETURNING id, phone_index
), known AS (
  ${UPDATE_SUPPORTER}
   WHERE sp.id = i.supporter_id AND sp.xmin = i.version
  RETURNING sp.id, sp.phone_index
), s AS (
  SELECT * FROM known UNION ALL SELECT * FROM created
), ${MESSAGE_AND_SIGNATURE}
SELECT t.text_no, m.id AS message_id, g.id AS signature_id,
       CASE WHEN m.id IS NOT NULL THEN i.kind END AS written_kind, m.reply AS written_reply, ctx.*
  FROM texts t
  LEFT JOIN m USING (message_sid)
  LEFT JOIN g ON g.inbound_message_id = m.id
  LEFT JOIN i ON i.text_no = t.text_no
  -- Read only for the texts not written (OFFSET 0 keeps the planner from reading it for all).
  LEFT JOIN LATERAL (${CONTEXT} WHERE m.id IS NULL OFFSET 0) AS ctx ON true`;

/**
 * Writes texts decided on their context: for each, the supporter (updated, or created when none was
 * read), the message and the signature. A known supporter is updated only if the row is still the
 * version read, so that a decision is never written over a change it did not see (another text from
 * the number, from this process or another; staff): such a text writes nothing, and is read again.
 * The texts of one call have distinct numbers and MessageSids, one row each.
 */
const WRITE_TEXTS = `
WITH ${inputRows('i')}, known AS (
  ${UPDATE_SUPPORTER}
   WHERE sp.phone_index = i.phone_index AND sp.xmin::text = i.supporter_version
  RETURNING sp.id, sp.phone_index
), created AS (
  INSERT INTO supporters ${NEW_SUPPORTER} WHERE i.supporter_version IS NULL
  ON CONFLICT (phone_index) DO NOTHING
  RETURNING id, phone_index
), s AS (
  SELECT * FROM known UNION ALL SELECT * FROM created
), ${MESSAGE_AND_SIGNATURE}
SELECT i.text_no, m.id AS message_id, g.id AS signature_id
  FROM i
  LEFT JOIN m USING (message_sid)
  LEFT JOIN g ON g.inbound_message_id = m.id`;

/** The stored answer of a MessageSid already seen. */
export interface StoredAnswer {
  reply: string;
  suppressed: boolean;
}

/** The rows a text wrote; bigint ids come back as strings. */
export interface Written {
  /** null: nothing was written. */
  message_id: string | null;
  signature_id: string | null;
}

/** What TRY_TEXTS did with a text: the rows written, else the context to decide it on. */
export interface TryResult extends Written {
  /** Which of the text's rows was written, and its reply as written. */
  written_kind: 'new' | 'member' | 'any' | null;
  written_reply: string | null;
  duplicate: StoredAnswer | null;
  supporter: SupporterView | null;
  /** The supporter row's version as read (null: no supporter); the decision is written only onto it. */
  supporter_version: string | null;
  replies_last_hour: number;
  signed: string[];
  /** The campaigns as Postgres renders them now. */
  campaigns: string;
}

/** Results numbered by the text they belong to, from 1 in the order the texts were given. */
export type Numbered<T> = T & { text_no: number };

/** Runs TRY_TEXTS for texts, each with its rows (see TRY_TEXTS). */
export async function tryTexts(
  database: Database,
  texts: readonly (readonly InputRow[])[],
  options: TryTextsOptions,
): Promise<Numbered<TryResult>[]> {
  const rows = await database.query<Numbered<Omit<TryResult, 'campaigns'>> & { campaigns: string | null }>(
    'inbound_try_texts',
    TRY_TEXTS,
    tryTextsParams(texts, options),
  );
  // The campaigns come back only when they are not those the texts were decided on.
  return rows.map((row) => ({ ...row, campaigns: row.campaigns ?? options.campaignsText }));
}

/** Runs WRITE_TEXTS for texts decided on their context, one row each. */
export function writeTexts(
  database: Database,
  texts: readonly (readonly InputRow[])[],
): Promise<Numbered<Written>[]> {
  return database.query('inbound_write_texts', WRITE_TEXTS, inputParams(texts));
}

// ---- RECEIPT -------------------------------------------------------------------------------------

/**
 * A signer's signature on the campaign named (else their latest), and its place among the names of
 * its fax batch. Reads supporters, signatures and campaigns (the exception above).
 */
const RECEIPT_SIGNATURE = `
  SELECT g.id, g.status, g.batch_id, g.hold_reason, upper(c.keyword) AS keyword,
         CASE WHEN g.batch_id IS NULL THEN NULL ELSE
           (SELECT count(*)::int FROM signatures o WHERE o.batch_id = g.batch_id AND o.id < g.id) END AS rank
    FROM supporters p
    JOIN signatures g ON g.supporter_id = p.id
    JOIN campaigns c ON c.id = g.campaign_id
   WHERE p.phone_index = $1 AND ($2::bigint IS NULL OR g.campaign_id = $2::bigint)
   ORDER BY g.signed_at DESC, g.id DESC
   LIMIT 1`;

/**
 * The deliveries of the batch's part that carries name number $2 (0-based), to each target. Reads
 * fax_deliveries (owned by fax) and targets (owned by campaigns): fax stands above sms, so sms reads
 * them here rather than through the fax room (the exception above).
 */
const RECEIPT_DELIVERIES = `
  SELECT t.id AS target_id, t.name AS target_name, t.title AS target_title, t.position AS target_position,
         d.channel, d.status, d.pages, coalesce(d.provider_completed_at, d.completed_at) AS received_at
    FROM fax_deliveries d JOIN targets t ON t.id = d.target_id
   WHERE d.batch_id = $1 AND d.first_name <= $2 AND $2 < d.first_name + d.name_count`;

/** A signature as RECEIPT reads it; bigint ids come back as strings. */
export interface ReceiptSignature {
  id: string;
  status: SignatureStatus;
  batch_id: string | null;
  hold_reason: string | null;
  keyword: string;
  /** Its place among its batch's names (0-based); null before it is in a batch. */
  rank: number | null;
}

/** The number's signature on the campaign (null: their latest), if any. */
export async function receiptSignature(
  database: Database,
  phoneIndex: string,
  campaignId: number | null,
): Promise<ReceiptSignature | undefined> {
  const [row] = await database.query<ReceiptSignature>('sms_receipt_signature', RECEIPT_SIGNATURE, [
    phoneIndex,
    campaignId,
  ]);
  return row;
}

/** A delivery, to one target, of the fax part that carries a name. */
export interface ReceiptDelivery {
  targetId: number;
  targetName: string;
  targetTitle: string | null;
  targetPosition: number;
  channel: DeliveryChannel;
  status: FaxDeliveryStatus;
  pages: number;
  /** The provider's time where it gave one, else ours; null while not completed. */
  completedAt: Date | null;
}

interface ReceiptDeliveryRow {
  target_id: string;
  target_name: string;
  target_title: string | null;
  target_position: number;
  channel: DeliveryChannel;
  status: FaxDeliveryStatus;
  pages: number;
  // A Date: on the hot pool pg parses timestamptz itself (only drizzle's own queries get strings).
  received_at: Date | null;
}

/** The deliveries, to each target, of the part of batch `batchId` carrying name number `nameNumber`. */
export async function receiptDeliveries(
  database: Database,
  batchId: string,
  nameNumber: number,
): Promise<ReceiptDelivery[]> {
  const rows = await database.query<ReceiptDeliveryRow>('sms_receipt_deliveries', RECEIPT_DELIVERIES, [
    batchId,
    nameNumber,
  ]);
  return rows.map((row) => ({
    targetId: Number(row.target_id),
    targetName: row.target_name,
    targetTitle: row.target_title,
    targetPosition: row.target_position,
    channel: row.channel,
    status: row.status,
    pages: row.pages,
    completedAt: row.received_at,
  }));
}
