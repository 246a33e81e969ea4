/**
 * The statements of an inbound text, as plain SQL. They run on every text, so they are prepared once
 * per connection, and each is one round trip. Texts come in as the rows of `i`, one array parameter
 * per column, so that one statement can write many texts at once.
 */

/** The columns of a text's row, in parameter order ($1–$23). */
const INPUT = [
  ['phone_ciphertext', 'text'],
  ['phone_index', 'text'],
  /** The supporter row as read (its xmin; null: no supporter): a known supporter is written only onto it. */
  ['supporter_version', 'text'],
  // The supporter's fields after this text, whether the text changes them or not.
  ['name', 'text'],
  ['opted_in', 'boolean'],
  ['no_call', 'boolean'],
  ['pending_campaign_id', 'bigint'],
  ['pending_attempts', 'smallint'],
  /** Where the supporter came from, kept only when not known yet. */
  ['source', 'text'],
  /** A known supporter's consent is recorded again (START, a join keyword). */
  ['renew_consent', 'boolean'],
  ['consent_terms', 'text'],
  ['received_at', 'timestamptz'],
  ['message_sid', 'text'],
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

/** The parameters $1–$23 for some texts: one array per column. */
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

/** What the conversation needs to know about the text of row `i`, bet on campaigns $24. */
const CONTEXT = `
  SELECT (SELECT json_build_object('reply', d.reply, 'suppressed', d.reply_suppressed)
            FROM inbound_messages d WHERE d.message_sid = i.message_sid) AS duplicate,
         CASE WHEN p.id IS NOT NULL THEN json_build_object('name', p.name, 'optedIn', p.opted_in,
              'pendingCampaignId', p.pending_campaign_id, 'pendingAttempts', p.pending_attempts) END AS supporter,
         p.xmin::text AS supporter_version,
         (SELECT count(*)::int FROM inbound_messages r
           WHERE r.supporter_id = p.id AND r.received_at > i.received_at - interval '1 hour'
             AND r.reply <> '' AND NOT r.reply_suppressed) AS replies_last_hour,
         (SELECT coalesce(array_agg(sg.campaign_id), '{}') FROM signatures sg
           WHERE sg.supporter_id = p.id) AS signed,
         -- Only when not those the text was bet on: a network's past actions make it long.
         nullif((${CAMPAIGNS_TEXT}), $${INPUT.length + 1}) AS campaigns
    FROM (SELECT) AS one LEFT JOIN supporters p ON p.phone_index = i.phone_index`;

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
  -- A name held because the fax cannot draw it is replaced by the spelling the signer sends, until
  -- staff moderate it or it is faxed; any other signature stays as it was.
  ON CONFLICT (campaign_id, supporter_id) DO UPDATE
    SET name = excluded.name, status = excluded.status, hold_reason = excluded.hold_reason,
        inbound_message_id = excluded.inbound_message_id
    WHERE signatures.status = 'held' AND signatures.hold_reason = 'unsupported-script'
      AND signatures.batch_id IS NULL AND excluded.status <> 'late'
  RETURNING id, inbound_message_id
)`;

/** Each text's rows written: null ids when its message was not. */
const WRITTEN = `
SELECT i.ord, m.id AS message_id, g.id AS signature_id`;

/**
 * Bets that each text is a first contact: writes the decision made for an unknown number against
 * the campaigns the process last saw ($24, as `campaigns` text), for each text whose number is
 * indeed unknown and MessageSid new, if the campaigns are unchanged. A text whose bet is lost gets
 * its context instead (read before this statement's writes), so a known supporter costs one more
 * statement. The texts of one call have distinct numbers and MessageSids.
 */
export const TRY_AS_FIRST_CONTACTS = `
WITH ${INPUT_ROWS}, s AS (
  INSERT INTO supporters ${NEW_SUPPORTER}
   WHERE $${INPUT.length + 1} = (${CAMPAIGNS_TEXT})
     -- A scalar subquery rather than NOT EXISTS, which the planner may turn into a scan of all messages.
     AND (SELECT x.id FROM inbound_messages x WHERE x.message_sid = i.message_sid) IS NULL
  ON CONFLICT (phone_index) DO NOTHING
  RETURNING id, phone_index
), ${MESSAGE_AND_SIGNATURE}
${WRITTEN}, ctx.*
  FROM i
  LEFT JOIN m USING (message_sid)
  LEFT JOIN g ON g.inbound_message_id = m.id
  -- Read only for the texts whose bet was lost (OFFSET 0 keeps the planner from reading it for all).
  LEFT JOIN LATERAL (${CONTEXT} WHERE m.id IS NULL OFFSET 0) AS ctx ON true`;

/**
 * Writes texts decided on their context: for each, the supporter (updated, or created when none was
 * read), the message and the signature. A known supporter is updated only if the row is still the
 * version read, so that a decision is never written over a change it did not see (another text from
 * the number, from this process or another; staff): such a text writes nothing, and is read again.
 * Every text updates its supporter's row, so that the next one from the number sees a new version.
 * The texts of one call have distinct numbers and MessageSids.
 */
export const WRITE_TEXTS = `
WITH ${INPUT_ROWS}, known AS (
  UPDATE supporters sp SET
    updated_at = i.received_at,
    name = i.name,
    opted_in = i.opted_in,
    opted_out_at = CASE WHEN i.opted_in THEN NULL ELSE coalesce(sp.opted_out_at, i.received_at) END,
    no_call = sp.no_call OR i.no_call,
    consent_at = CASE WHEN i.renew_consent THEN i.received_at ELSE sp.consent_at END,
    consent_message_sid = CASE WHEN i.renew_consent THEN i.message_sid ELSE sp.consent_message_sid END,
    consent_terms = CASE WHEN i.renew_consent THEN i.consent_terms ELSE sp.consent_terms END,
    source = coalesce(sp.source, i.source),
    pending_campaign_id = i.pending_campaign_id,
    pending_attempts = i.pending_attempts
    FROM i
   WHERE sp.phone_index = i.phone_index AND sp.xmin::text = i.supporter_version
  RETURNING sp.id, sp.phone_index
), created AS (
  INSERT INTO supporters ${NEW_SUPPORTER} WHERE i.supporter_version IS NULL
  ON CONFLICT (phone_index) DO NOTHING
  RETURNING id, phone_index
), s AS (
  SELECT * FROM known UNION ALL SELECT * FROM created
), ${MESSAGE_AND_SIGNATURE}
${WRITTEN}
  FROM i
  LEFT JOIN m USING (message_sid)
  LEFT JOIN g ON g.inbound_message_id = m.id`;
