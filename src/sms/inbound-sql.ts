/**
 * The statements of an inbound text, as plain SQL. They run on every text, so they are prepared once
 * per connection, and each is one round trip. Texts come in as the rows of `i`, one array parameter
 * per column, so that one statement can write the first contacts of many texts at once.
 */

/** The columns of a text's row, in parameter order ($1–$21). */
const INPUT = [
  ['phone_ciphertext', 'text'],
  ['phone_index', 'text'],
  /** The supporter's name after this text (a new supporter's, or one to set). */
  ['name', 'text'],
  ['opted_in', 'boolean'],
  ['no_call', 'boolean'],
  ['received_at', 'timestamptz'],
  ['message_sid', 'text'],
  ['consent_terms', 'text'],
  ['source', 'text'],
  ['pending_campaign_id', 'bigint'],
  ['pending_attempts', 'smallint'],
  ['to_number', 'text'],
  ['body', 'text'],
  ['outcome', 'text'],
  ['campaign_id', 'bigint'],
  ['reply', 'text'],
  ['reply_suppressed', 'boolean'],
  /** null: the text signs nothing. */
  ['signature_campaign_id', 'bigint'],
  ['signature_name', 'text'],
  ['signature_status', 'signature_status'],
  ['hold_reason', 'text'],
] as const;

export type InputRow = Record<(typeof INPUT)[number][0], string | number | boolean | null>;

/** The parameters $1–$21 for some texts: one array per column. */
export function inputParams(rows: readonly InputRow[]): unknown[] {
  return INPUT.map(([column]) => rows.map((row) => row[column]));
}

const INPUT_ROWS = `
i AS (
  SELECT * FROM unnest(${INPUT.map(([, type], n) => `$${n + 1}::${type}[]`).join(', ')})
    WITH ORDINALITY AS i(${INPUT.map(([column]) => column).join(', ')}, ord)
)`;

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

/** What the conversation needs to know about the text of row `i`, as columns. */
const CONTEXT_COLUMNS = `
  (SELECT json_build_object('reply', d.reply, 'suppressed', d.reply_suppressed)
     FROM inbound_messages d WHERE d.message_sid = i.message_sid) AS duplicate,
  (SELECT json_build_object('name', p.name, 'optedIn', p.opted_in,
          'pendingCampaignId', p.pending_campaign_id, 'pendingAttempts', p.pending_attempts)
     FROM supporters p WHERE p.phone_index = i.phone_index) AS supporter,
  (SELECT count(*)::int FROM inbound_messages r JOIN supporters p ON p.id = r.supporter_id
    WHERE p.phone_index = i.phone_index AND r.received_at > i.received_at - interval '1 hour'
      AND r.reply <> '' AND NOT r.reply_suppressed) AS replies_last_hour,
  (SELECT coalesce(array_agg(sg.campaign_id), '{}') FROM signatures sg
    WHERE sg.supporter_id = (SELECT p.id FROM supporters p WHERE p.phone_index = i.phone_index)) AS signed,
  (${CAMPAIGNS_TEXT}) AS campaigns`;

/** A new supporter row; first contact is consent to later texts, whatever the first text was. */
const NEW_SUPPORTER = `(phone_ciphertext, phone_index, name, opted_in, opted_out_at, no_call,
    consent_at, consent_message_sid, consent_terms, source, pending_campaign_id, pending_attempts)
  SELECT i.phone_ciphertext, i.phone_index, i.name, i.opted_in,
         CASE WHEN i.opted_in THEN NULL ELSE i.received_at END, i.no_call,
         i.received_at, i.message_sid, i.consent_terms, i.source, i.pending_campaign_id, i.pending_attempts
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
  RETURNING id, supporter_id, message_sid
), g AS (
  INSERT INTO signatures (campaign_id, supporter_id, name, status, hold_reason, inbound_message_id, signed_at)
  SELECT i.signature_campaign_id, m.supporter_id, i.signature_name, i.signature_status, i.hold_reason,
         m.id, i.received_at
    FROM i JOIN m USING (message_sid)
   WHERE i.signature_campaign_id IS NOT NULL
  ON CONFLICT (campaign_id, supporter_id) DO NOTHING
  RETURNING id, inbound_message_id
)`;

/**
 * Bets that each text is a first contact: writes the decision made for an unknown number against
 * the campaigns the process last saw ($22, as `campaigns` text), for each text whose number is
 * indeed unknown and MessageSid new, if the campaigns are unchanged. A text whose bet is lost gets
 * its context instead (read before this statement's writes), so a known supporter costs one more
 * statement. The texts of one call have distinct numbers and MessageSids.
 */
export const TRY_AS_FIRST_CONTACTS = `
WITH ${INPUT_ROWS}, s AS (
  INSERT INTO supporters ${NEW_SUPPORTER}
   WHERE $22 = (${CAMPAIGNS_TEXT})
     -- A scalar subquery rather than NOT EXISTS, which the planner may turn into a scan of all messages.
     AND (SELECT x.id FROM inbound_messages x WHERE x.message_sid = i.message_sid) IS NULL
  ON CONFLICT (phone_index) DO NOTHING
  RETURNING id, phone_index
), ${MESSAGE_AND_SIGNATURE}
SELECT i.ord, m.id AS message_id, g.id AS signature_id, ctx.*
  FROM i
  LEFT JOIN m USING (message_sid)
  LEFT JOIN g ON g.inbound_message_id = m.id
  -- Read only for the texts whose bet was lost (OFFSET 0 keeps the planner from reading it for all).
  LEFT JOIN LATERAL (SELECT ${CONTEXT_COLUMNS} WHERE m.id IS NULL OFFSET 0) AS ctx ON true`;

/**
 * The decision made on the context, for one text: supporter created or updated (only the fields
 * the decision changes), message and signature. EXCLUDED.consent_at is the text's time.
 *  $22 set name?  $23 set opt-in?  $24 renew consent?  $25 set source?  $26 set pending?
 */
export const WRITE_TEXT = `
WITH ${INPUT_ROWS}, s AS (
  INSERT INTO supporters AS sp ${NEW_SUPPORTER}
  ON CONFLICT (phone_index) DO UPDATE SET
    updated_at = EXCLUDED.consent_at,
    name = CASE WHEN $22 THEN EXCLUDED.name ELSE sp.name END,
    opted_in = CASE WHEN $23 THEN EXCLUDED.opted_in ELSE sp.opted_in END,
    opted_out_at = CASE WHEN NOT $23 THEN sp.opted_out_at
                        WHEN EXCLUDED.opted_in THEN NULL
                        ELSE coalesce(sp.opted_out_at, EXCLUDED.consent_at) END,
    no_call = sp.no_call OR EXCLUDED.no_call,
    consent_at = CASE WHEN $24 THEN EXCLUDED.consent_at ELSE sp.consent_at END,
    consent_message_sid = CASE WHEN $24 THEN EXCLUDED.consent_message_sid ELSE sp.consent_message_sid END,
    consent_terms = CASE WHEN $24 THEN EXCLUDED.consent_terms ELSE sp.consent_terms END,
    source = CASE WHEN $25 THEN coalesce(sp.source, EXCLUDED.source) ELSE sp.source END,
    pending_campaign_id = CASE WHEN $26 THEN EXCLUDED.pending_campaign_id ELSE sp.pending_campaign_id END,
    pending_attempts = CASE WHEN $26 THEN EXCLUDED.pending_attempts ELSE sp.pending_attempts END
  RETURNING id, phone_index
), ${MESSAGE_AND_SIGNATURE}
SELECT (SELECT id FROM m) AS message_id, (SELECT id FROM g) AS signature_id`;

/** $1 MessageSid */
export const STORED_REPLY = `
SELECT reply, reply_suppressed AS suppressed FROM inbound_messages WHERE message_sid = $1`;
