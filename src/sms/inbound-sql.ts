/**
 * The statements of an inbound text, as plain SQL with numbered parameters: they run on every text,
 * so they are prepared once per connection, and each is one round trip.
 */

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

/** What the conversation needs to know, as columns; the placeholders are given by the statement. */
function contextColumns(messageSid: string, phoneIndex: string, hourAgo: string): string {
  return `
  (SELECT json_build_object('reply', reply, 'suppressed', reply_suppressed)
     FROM inbound_messages WHERE message_sid = ${messageSid}) AS duplicate,
  (SELECT json_build_object('name', name, 'optedIn', opted_in,
          'pendingCampaignId', pending_campaign_id, 'pendingAttempts', pending_attempts)
     FROM supporters WHERE phone_index = ${phoneIndex}) AS supporter,
  (SELECT count(*)::int FROM inbound_messages m JOIN supporters s ON s.id = m.supporter_id
    WHERE s.phone_index = ${phoneIndex} AND m.received_at > ${hourAgo}
      AND m.reply <> '' AND NOT m.reply_suppressed) AS replies_last_hour,
  (SELECT coalesce(array_agg(g.campaign_id), '{}') FROM signatures g
    WHERE g.supporter_id = (SELECT id FROM supporters WHERE phone_index = ${phoneIndex})) AS signed,
  (${CAMPAIGNS_TEXT}) AS campaigns`;
}

/** The message and its signature, gated on supporter row `s`; shared by both writes. */
const MESSAGE_AND_SIGNATURE = `
m AS (
  -- The message insert is the gate: when one MessageSid arrives twice at once, only the text
  -- whose message row lands writes its signature.
  INSERT INTO inbound_messages (message_sid, supporter_id, to_number, body, outcome, campaign_id, reply,
                                reply_suppressed, received_at)
  SELECT $7, s.id, $12, $13, $14, $15, $16, $17, $6 FROM s
  ON CONFLICT (message_sid) DO NOTHING
  RETURNING id, supporter_id
), g AS (
  INSERT INTO signatures (campaign_id, supporter_id, name, status, hold_reason, inbound_message_id, signed_at)
  SELECT $18, m.supporter_id, $19, $20::signature_status, $21, m.id, $6 FROM m WHERE $18::bigint IS NOT NULL
  ON CONFLICT (campaign_id, supporter_id) DO NOTHING
  RETURNING id
)`;

/** A new supporter row; first contact is consent to later texts, whatever the first text was. */
const NEW_SUPPORTER_COLUMNS = `(phone_ciphertext, phone_index, name, opted_in, opted_out_at, no_call,
    consent_at, consent_message_sid, consent_terms, source, pending_campaign_id, pending_attempts)`;
const NEW_SUPPORTER_VALUES = `$1, $2, $3, $4, CASE WHEN $4 THEN NULL ELSE $6::timestamptz END, $5,
    $6, $7, $8, $9, $10, $11`;

/**
 * Parameters shared by both writes:
 *  $1 phone ciphertext  $2 blind index   $3 name        $4 opted in        $5 no call      $6 now
 *  $7 MessageSid        $8 consent terms $9 source      $10 pending campaign $11 pending attempts
 *  $12 To  $13 body  $14 outcome  $15 campaign id  $16 reply  $17 reply suppressed
 *  $18 signature campaign (null: none)  $19 signature name  $20 signature status  $21 hold reason
 */

/**
 * The first statement bets on a first contact: it writes the decision made for an unknown number
 * against the campaigns the process last saw, but only if the number is indeed unknown, the
 * MessageSid new and the campaigns unchanged ($22, as `campaigns` text). When the bet is lost it
 * returns the context instead, so a known supporter costs one more statement.
 *  $23 an hour ago (flood guard window)
 */
export const TRY_AS_FIRST_CONTACT = `
WITH s AS (
  INSERT INTO supporters ${NEW_SUPPORTER_COLUMNS}
  SELECT ${NEW_SUPPORTER_VALUES}
   WHERE $22 = (${CAMPAIGNS_TEXT})
     AND NOT EXISTS (SELECT 1 FROM inbound_messages WHERE message_sid = $7)
  ON CONFLICT (phone_index) DO NOTHING
  RETURNING id
), ${MESSAGE_AND_SIGNATURE}
SELECT m.id AS message_id, (SELECT id FROM g) AS signature_id, ctx.*
  FROM (SELECT 1) AS one
  LEFT JOIN m ON true
  -- Read only when the bet was lost; the snapshot is the one from before this statement's writes.
  LEFT JOIN LATERAL (SELECT ${contextColumns('$7', '$2', '$23')}) AS ctx ON m.id IS NULL`;

/**
 * The decision made on the context: supporter created or updated (only the fields the decision
 * changes), message and signature.
 *  $22 set name?  $23 set opt-in?  $24 renew consent?  $25 set source?  $26 set pending?
 */
export const WRITE_TEXT = `
WITH s AS (
  INSERT INTO supporters AS sp ${NEW_SUPPORTER_COLUMNS}
  VALUES (${NEW_SUPPORTER_VALUES})
  ON CONFLICT (phone_index) DO UPDATE SET
    updated_at = $6,
    name = CASE WHEN $22 THEN EXCLUDED.name ELSE sp.name END,
    opted_in = CASE WHEN $23 THEN EXCLUDED.opted_in ELSE sp.opted_in END,
    opted_out_at = CASE WHEN NOT $23 THEN sp.opted_out_at
                        WHEN EXCLUDED.opted_in THEN NULL
                        ELSE coalesce(sp.opted_out_at, $6) END,
    no_call = sp.no_call OR EXCLUDED.no_call,
    consent_at = CASE WHEN $24 THEN EXCLUDED.consent_at ELSE sp.consent_at END,
    consent_message_sid = CASE WHEN $24 THEN EXCLUDED.consent_message_sid ELSE sp.consent_message_sid END,
    consent_terms = CASE WHEN $24 THEN EXCLUDED.consent_terms ELSE sp.consent_terms END,
    source = CASE WHEN $25 THEN coalesce(sp.source, EXCLUDED.source) ELSE sp.source END,
    pending_campaign_id = CASE WHEN $26 THEN EXCLUDED.pending_campaign_id ELSE sp.pending_campaign_id END,
    pending_attempts = CASE WHEN $26 THEN EXCLUDED.pending_attempts ELSE sp.pending_attempts END
  RETURNING id
), ${MESSAGE_AND_SIGNATURE}
SELECT (SELECT id FROM m) AS message_id, (SELECT id FROM g) AS signature_id`;

/** $1 MessageSid */
export const STORED_REPLY = `
SELECT reply, reply_suppressed AS suppressed FROM inbound_messages WHERE message_sid = $1`;
