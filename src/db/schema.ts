import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  type CampaignContact,
  type CampaignReplies,
  type LetterTranslation,
  TARGET_LANGUAGES,
} from './types.js';

export type { CampaignContact, CampaignReplies, LetterTranslation, TargetLanguage } from './types.js';

const id = () => bigserial('id', { mode: 'number' }).primaryKey();
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const ref = (name: string) => bigint(name, { mode: 'number' });
/**
 * A phone number's blind index (hex): compared byte by byte (collation "C"), not by the database's
 * language rules, which only cost time here. A million sorted inserts into its unique index took 2.5 s
 * instead of 3.7 s (psql, side by side), and every text looks its sender up by it.
 */
const phoneIndexKey = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });

export const campaignStatus = pgEnum('campaign_status', ['draft', 'open', 'closed']);
export const signatureStatus = pgEnum('signature_status', ['valid', 'held', 'hidden', 'late']);
export const staffRole = pgEnum('staff_role', ['admin', 'campaigner', 'viewer']);

/**
 * A person who has texted us (or was imported). The number is only ever stored encrypted, with a
 * keyed blind index to find the row again.
 */
export const supporters = pgTable(
  'supporters',
  {
    id: id(),
    phoneCiphertext: text('phone_ciphertext'),
    phoneIndex: phoneIndexKey('phone_index'),
    name: text('name'),
    /** The hold rules (names.ts HOLD_RULES) the name passed when written; null: held, or not checked. */
    nameClearedUnder: text('name_cleared_under'),
    optedIn: boolean('opted_in').notNull().default(true),
    optedOutAt: timestamp('opted_out_at', { withTimezone: true }),
    noCall: boolean('no_call').notNull().default(false),
    /** First contact is consent to later texts: when, through which message, under which terms. */
    consentAt: timestamp('consent_at', { withTimezone: true }),
    consentMessageSid: text('consent_message_sid'),
    consentTerms: text('consent_terms'),
    /** How they joined: "sms", "sms:join:15" (PROTEST15), "import:…". */
    source: text('source'),
    /** Dialogue state: the campaign whose keyword they texted without a name. */
    pendingCampaignId: ref('pending_campaign_id'),
    pendingAttempts: smallint('pending_attempts').notNull().default(0),
    erasedAt: timestamp('erased_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('supporters_phone_index_key').on(t.phoneIndex)],
);

export const campaigns = pgTable(
  'campaigns',
  {
    id: id(),
    keyword: text('keyword').notNull(),
    title: text('title').notNull(),
    reference: text('reference'),
    summary: text('summary'),
    status: campaignStatus('status').notNull().default('draft'),
    letterSubject: text('letter_subject'),
    letterBody: text('letter_body').notNull(),
    letterTranslation: jsonb('letter_translation').$type<LetterTranslation>(),
    /** The running header of the fax when there is no reference; the title is staff's own and may be long. */
    shortTitle: text('short_title'),
    contact: jsonb('contact').$type<CampaignContact>(),
    replies: jsonb('replies').$type<CampaignReplies>().notNull().default({}),
    closesAt: timestamp('closes_at', { withTimezone: true }),
    openedAt: timestamp('opened_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    /** Demo campaigns carry fictional fax numbers; no real provider ever sends them. */
    isDemo: boolean('is_demo').notNull().default(false),
    /** Shown at /act/:keyword (once open or closed; never a draft); staff may hide it. */
    public: boolean('public').notNull().default(true),
    /** Automatic fax batches: daily at this time ("10:00") in the first target's timezone, or null. */
    batchDailyAt: text('batch_daily_at'),
    /** Automatic fax batches: whenever this many new names wait, or null. */
    batchThreshold: integer('batch_threshold'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A keyword names one campaign among those that are not closed, whatever its case.
    uniqueIndex('campaigns_live_keyword_key')
      .on(sql`upper(${t.keyword})`)
      .where(sql`${t.status} <> 'closed'`),
  ],
);

/** The languages the letter's fixed parts are written in (src/fax/messages/, one catalogue each). */
export const targetLanguage = pgEnum('target_language', TARGET_LANGUAGES);
/**
 * How a target gets the letter: fax, then e-mail once every fax number has failed (or the campaign's
 * deadline is near); e-mail only; or both at once (received when either delivered it).
 */
export const targetChannel = pgEnum('target_channel', ['fax-then-email', 'email', 'both']);

export const targets = pgTable(
  'targets',
  {
    id: id(),
    campaignId: ref('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    position: smallint('position').notNull(),
    name: text('name').notNull(),
    title: text('title'),
    organisation: text('organisation'),
    address: text('address'),
    salutation: text('salutation').notNull(),
    /** E.164, tried in order. Authorities' fax numbers are public. */
    faxNumbers: text('fax_numbers').array().notNull(),
    /** Tried in order, like the fax numbers. Authorities' addresses are public. */
    emails: text('emails').array().notNull().default(sql`'{}'::text[]`),
    channel: targetChannel('channel').notNull().default('fax-then-email'),
    language: targetLanguage('language').notNull().default('en'),
    timezone: text('timezone').notNull().default('Europe/Moscow'),
  },
  (t) => [index('targets_campaign_idx').on(t.campaignId, t.position)],
);

export const inboundMessages = pgTable(
  'inbound_messages',
  {
    id: id(),
    messageSid: text('message_sid').notNull(),
    supporterId: ref('supporter_id').references(() => supporters.id),
    /** Which of our numbers was texted (several shortcodes may point here); ours, not personal. */
    toNumber: text('to_number'),
    /** Deleted by retention; the outcome and counts stay. */
    body: text('body'),
    outcome: text('outcome').notNull(),
    // No foreign key: every text of a flood would lock the same campaign row to check it.
    campaignId: ref('campaign_id'),
    /** The reply exactly as answered, so that a retried MessageSid gets the same one. */
    reply: text('reply').notNull(),
    /** True when the flood guard answered with an empty TwiML instead of the reply. */
    replySuppressed: boolean('reply_suppressed').notNull().default(false),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('inbound_messages_message_sid_key').on(t.messageSid),
    index('inbound_messages_supporter_idx').on(t.supporterId, t.receivedAt),
  ],
);

export const signatures = pgTable(
  'signatures',
  {
    id: id(),
    campaignId: ref('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    supporterId: ref('supporter_id')
      .notNull()
      .references(() => supporters.id),
    /**
     * The name as it goes on the fax, fixed when signed; a late reply may come without one, and
     * erasing a supporter removes it (the signature is then hidden).
     */
    name: text('name'),
    status: signatureStatus('status').notNull(),
    holdReason: text('hold_reason'),
    inboundMessageId: ref('inbound_message_id').references(() => inboundMessages.id),
    signedAt: timestamp('signed_at', { withTimezone: true }).notNull().defaultNow(),
    /** The fax batch that carried this name; a signature is in at most one batch. */
    batchId: ref('batch_id'),
    moderatedAt: timestamp('moderated_at', { withTimezone: true }),
    moderatedBy: ref('moderated_by'),
  },
  (t) => [
    uniqueIndex('signatures_campaign_supporter_key').on(t.campaignId, t.supporterId),
    index('signatures_supporter_idx').on(t.supporterId),
    index('signatures_waiting_idx')
      .on(t.campaignId, t.id)
      .where(sql`${t.batchId} IS NULL AND ${t.status} = 'valid'`),
    index('signatures_campaign_status_idx').on(t.campaignId, t.status, t.id),
    // The dashboard's signatures of the last hour, read without the campaign's other signatures.
    index('signatures_campaign_signed_idx').on(t.campaignId, t.signedAt),
    check('signatures_name_unless_late', sql`${t.name} IS NOT NULL OR ${t.status} IN ('late', 'hidden')`),
  ],
);

/**
 * Signatures counted by campaign, status, faxed or not and UTC hour signed, kept by statement triggers
 * on signatures (migration 0014) in the writing transaction: a campaign's counts and chart read a few
 * hundred rows however many have signed. Each writing connection adds to a row of its own (`shard`),
 * so that concurrent texts do not queue on one counter; readers sum them.
 */
export const signatureCounts = pgTable(
  'signature_counts',
  {
    campaignId: ref('campaign_id').notNull(),
    status: signatureStatus('status').notNull(),
    faxed: boolean('faxed').notNull(),
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    shard: smallint('shard').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.status, t.faxed, t.hour, t.shard] })],
);

export const staff = pgTable(
  'staff',
  {
    id: id(),
    email: text('email').notNull(),
    role: staffRole('role').notNull(),
    passwordHash: text('password_hash'),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('staff_email_key').on(sql`lower(${t.email})`)],
);

/** Only a SHA-256 of each token is kept: tokens are long random strings, shown once. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    staffId: ref('staff_id')
      .notNull()
      .references(() => staff.id),
    tokenHash: text('token_hash').notNull(),
    label: text('label'),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_key').on(t.tokenHash)],
);

/**
 * A signed-in console session. The cookie carries a random id; only its SHA-256 is kept. Signing out
 * deletes the row; a password change or reset and disabling the account delete all of that person's.
 */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    id: id(),
    staffId: ref('staff_id')
      .notNull()
      .references(() => staff.id),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('staff_sessions_token_hash_key').on(t.tokenHash),
    index('staff_sessions_staff_idx').on(t.staffId),
  ],
);

export const passwordLinkPurpose = pgEnum('password_link_purpose', ['invite', 'reset']);

/**
 * A one-time link through which a staff member sets their console password: an admin's invitation of a
 * colleague, or a reset. Only the token's SHA-256 is kept; a link is spent once used, and a newer link
 * for the same person replaces any unused one.
 */
export const staffPasswordLinks = pgTable(
  'staff_password_links',
  {
    id: id(),
    staffId: ref('staff_id')
      .notNull()
      .references(() => staff.id),
    purpose: passwordLinkPurpose('purpose').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdBy: ref('created_by').references(() => staff.id),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('staff_password_links_token_hash_key').on(t.tokenHash),
    index('staff_password_links_staff_idx').on(t.staffId),
  ],
);

/** Every staff write: who, what, when, before and after. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    staffId: ref('staff_id').references(() => staff.id),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('audit_log_at_idx').on(t.at)],
);

/**
 * Work to enqueue, written in the same transaction as the state change it follows from. The relay
 * adds each row to BullMQ with the row id as job id, so a Redis outage or a crash between commit
 * and enqueue loses nothing and enqueues nothing twice.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: id(),
    /**
     * The job's id in BullMQ. Random, so that a database reset, a restore or a second install sharing
     * one Redis never names a job that Redis already holds (BullMQ ignores an add of a known id).
     */
    jobKey: uuid('job_key').notNull().defaultRandom(),
    queue: text('queue').notNull(),
    jobName: text('job_name').notNull(),
    payload: jsonb('payload').notNull(),
    /** Not before this time (scheduled work). */
    runAt: timestamp('run_at', { withTimezone: true }).notNull().defaultNow(),
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('outbox_pending_idx').on(t.id).where(sql`${t.enqueuedAt} IS NULL`),
    // The watchdog reads the rows relayed in the last hours, every minute.
    index('outbox_relayed_idx').on(t.enqueuedAt).where(sql`${t.enqueuedAt} IS NOT NULL`),
  ],
);

/** `written`: every part went to the file provider's outbox (a dry run), none to a fax machine. */
export const faxBatchStatus = pgEnum('fax_batch_status', [
  'pending',
  'sending',
  'delivered',
  'written',
  'partly_failed',
  'failed',
]);
/**
 * `written`: the file provider (or mail transport) put the part in its outbox; like `delivered`, final and
 * received. `uncertain`: an e-mail whose send was cut off after its data began, with no reply seen: the
 * server may have it, and nothing can ask it, so staff decide whether to resend it (same Message-ID).
 * `blocked`: the provider account's, the sender's or the document's problem (funds, credentials, a number
 * the account may not dial, a document refused), never the recipient's: shown to staff with the reason in
 * `lastError`, and tried again at `nextAttemptAt` (hourly) until fixed.
 */
export const faxDeliveryStatus = pgEnum('fax_delivery_status', [
  'pending',
  'waiting',
  'sending',
  'delivered',
  'written',
  'failed',
  'uncertain',
  'blocked',
]);
export const deliveryChannel = pgEnum('delivery_channel', ['fax', 'email']);

export const faxBatches = pgTable(
  'fax_batches',
  {
    id: id(),
    campaignId: ref('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    status: faxBatchStatus('status').notNull().default('pending'),
    /** manual | schedule | threshold | close */
    reason: text('reason').notNull(),
    signatureCount: integer('signature_count').notNull(),
    createdBy: ref('created_by').references(() => staff.id),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** When rendering was last queued again for a batch stuck unrendered (at most once a stuck margin). */
    nudgedAt: timestamp('nudged_at', { withTimezone: true }),
  },
  (t) => [index('fax_batches_campaign_idx').on(t.campaignId, t.id)],
);

/**
 * One part of a batch's document to one target by one channel: the unit that is rendered, sent and
 * retried. A target has received a part when any of its channels delivered it.
 */
export const faxDeliveries = pgTable(
  'fax_deliveries',
  {
    id: id(),
    batchId: ref('batch_id')
      .notNull()
      .references(() => faxBatches.id),
    targetId: ref('target_id')
      .notNull()
      .references(() => targets.id),
    part: smallint('part').notNull(),
    parts: smallint('parts').notNull(),
    /** The slice of the batch's names (ordered by signature id) that this part carries. */
    firstName: integer('first_name').notNull(),
    nameCount: integer('name_count').notNull(),
    pages: integer('pages').notNull(),
    channel: deliveryChannel('channel').notNull().default('fax'),
    status: faxDeliveryStatus('status').notNull().default('pending'),
    /** Index into the target's fax numbers (or e-mail addresses) now being tried. */
    numberIndex: smallint('number_index').notNull().default(0),
    /** The number now tried; null for e-mail. */
    faxNumber: text('fax_number'),
    /** The address now tried; null for fax. */
    emailAddress: text('email_address'),
    attempts: integer('attempts').notNull().default(0),
    /**
     * Submissions to the current number or address: busy lines and deferrals are retried there up to a limit.
     */
    numberAttempts: smallint('number_attempts').notNull().default(0),
    lastError: text('last_error'),
    /** The mail server's last reply (accepted, deferred or refused), as it gave it. */
    smtpReply: text('smtp_reply'),
    /** When staff were e-mailed that the target did not receive this part. */
    staffNotifiedAt: timestamp('staff_notified_at', { withTimezone: true }),
    provider: text('provider'),
    providerFaxId: text('provider_fax_id'),
    /** Where the PDF sent is kept (relative to FAX_OUTBOX_DIR). */
    documentPath: text('document_path'),
    /**
     * SHA-256 (hex) of the PDF at documentPath, taken when it was rendered: the receipt proves what was sent.
     */
    documentSha256: text('document_sha256'),
    /** A part re-sent whole after an interrupted transmission says so on its letter page. */
    resent: boolean('resent').notNull().default(false),
    /**
     * Unguessable token for provider callbacks that carry no signature; e-mail makes its Message-ID unique
     * with it.
     */
    callbackToken: text('callback_token').notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    /** When the polling last asked the provider about the current fax: a poll overdue means it stopped. */
    polledAt: timestamp('polled_at', { withTimezone: true }),
    /** When the delivery, stuck, was last driven on (its job queued again; at most once a stuck margin). */
    nudgedAt: timestamp('nudged_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** What the provider reported when the part was delivered or written; null where it reports nothing. */
    providerCompletedAt: timestamp('provider_completed_at', { withTimezone: true }),
    pagesSent: integer('pages_sent'),
    /** The call's length; Sinch does not report it. */
    durationSeconds: integer('duration_seconds'),
    /** The remote machine's identifier (CSID); Sinch does not report it. */
    remoteId: text('remote_id'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('fax_deliveries_batch_target_part_channel_key').on(t.batchId, t.targetId, t.part, t.channel),
    uniqueIndex('fax_deliveries_callback_token_key').on(t.callbackToken),
    check(
      'fax_deliveries_address_of_channel',
      sql`(${t.channel} = 'fax' AND ${t.faxNumber} IS NOT NULL) OR (${t.channel} = 'email' AND ${t.emailAddress} IS NOT NULL)`,
    ),
  ],
);

export const broadcastAudience = pgEnum('broadcast_audience', ['network', 'signers', 'non-signers', 'batch']);
export const broadcastStatus = pgEnum('broadcast_status', [
  'queued',
  'waiting',
  'sending',
  'done',
  'cancelled',
]);
export const outboundStatus = pgEnum('outbound_status', [
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'skipped_opted_out',
  'cancelled',
]);

/** A text to an audience of supporters: an action alert, an update or a reminder. */
export const broadcasts = pgTable(
  'broadcasts',
  {
    id: id(),
    campaignId: ref('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    audience: broadcastAudience('audience').notNull(),
    /** The fax batch whose signers a `batch` audience reaches. */
    batchId: ref('batch_id').references(() => faxBatches.id),
    /** The text as sent, opt-out hint included; deleted by retention like other message bodies. */
    body: text('body'),
    segments: smallint('segments').notNull(),
    encoding: text('encoding').notNull(),
    status: broadcastStatus('status').notNull().default('queued'),
    /** Recipients fanned out so far; final once `fannedOutAt` is set. */
    total: integer('total').notNull().default(0),
    /** Keyset cursor of the fan-out: the last supporter id handled, so a rerun resumes after it. */
    fannedOutTo: ref('fanned_out_to').notNull().default(0),
    fannedOutAt: timestamp('fanned_out_at', { withTimezone: true }),
    /**
     * The audience frozen when the broadcast was made: the highest supporter id then (and, for
     * signers, signatures made by then), so that no one who joined or signed later is texted while it
     * waits for quiet hours to end. Null for broadcasts made before it was kept.
     */
    audienceUpTo: ref('audience_up_to'),
    /** Staff chose "send now anyway": quiet hours do not hold this broadcast. */
    ignoresQuietHours: boolean('ignores_quiet_hours').notNull().default(false),
    /** Rescheduled by staff: not sent before then (quiet hours still apply). */
    sendAfter: timestamp('send_after', { withTimezone: true }),
    createdBy: ref('created_by').references(() => staff.id),
    createdAt: createdAt(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('broadcasts_campaign_idx').on(t.campaignId, t.id)],
);

/** One text to one supporter, from its queueing to Twilio's last status callback. */
export const outboundMessages = pgTable(
  'outbound_messages',
  {
    id: id(),
    supporterId: ref('supporter_id')
      .notNull()
      .references(() => supporters.id),
    broadcastId: ref('broadcast_id').references(() => broadcasts.id),
    /** Null for a broadcast's messages, whose text is the broadcast's. */
    body: text('body'),
    segments: smallint('segments').notNull(),
    status: outboundStatus('status').notNull().default('queued'),
    twilioSid: text('twilio_sid'),
    errorCode: integer('error_code'),
    attempts: integer('attempts').notNull().default(0),
    /**
     * The MessageSid of a spooled inbound text this message answers: a reply sent as an outbound text
     * (not in TwiML), unique so that a text replayed twice is answered once. Replies skip quiet hours
     * and the send-time opt-out check (a STOP's confirmation must reach who just opted out).
     */
    inReplyTo: text('in_reply_to'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('outbound_messages_broadcast_supporter_key').on(t.broadcastId, t.supporterId),
    uniqueIndex('outbound_messages_in_reply_to_key').on(t.inReplyTo),
    uniqueIndex('outbound_messages_twilio_sid_key').on(t.twilioSid),
    index('outbound_messages_supporter_idx').on(t.supporterId),
    // Whether a broadcast still has messages to hand over, asked after every send.
    index('outbound_messages_unfinished_idx')
      .on(t.broadcastId)
      .where(sql`${t.status} IN ('queued', 'sending')`),
  ],
);

/**
 * Twilio's delivery reports that came before their send was recorded: Twilio may call back within
 * milliseconds of taking a text, before its answer to the create has been committed here. Each is
 * applied, and removed, when its send commits (broadcasts/sending.ts). No number and no text.
 */
export const earlyDeliveryReports = pgTable(
  'early_delivery_reports',
  {
    messageSid: text('message_sid').primaryKey(),
    status: outboundStatus('status').notNull(),
    errorCode: integer('error_code'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('early_delivery_reports_received_idx').on(t.receivedAt)],
);

export const memberImportStatus = pgEnum('member_import_status', ['queued', 'running', 'done', 'failed']);

/** A members file imported by a worker (POST /api/v1/members/imports), and how far it has got. */
export const memberImports = pgTable(
  'member_imports',
  {
    id: id(),
    status: memberImportStatus('status').notNull().default('queued'),
    dryRun: boolean('dry_run').notNull(),
    /** Rows of the file, header and blank lines aside: while `uploading`, those stored so far. */
    rows: integer('rows').notNull().default(0),
    /** The file is still arriving: the worker checks the rows stored so far and waits for the rest. */
    uploading: boolean('uploading').notNull().default(false),
    /** Rows checked so far (the worker's resume point). */
    processed: integer('processed').notNull().default(0),
    imported: integer('imported').notNull().default(0),
    skipped: integer('skipped').notNull().default(0),
    held: integer('held').notNull().default(0),
    refusedCount: integer('refused_count').notNull().default(0),
    /** The first 100 refused rows: `{ line, reason }`. */
    refused: jsonb('refused').$type<{ line: number; reason: string }[]>().notNull().default([]),
    /** Times a worker took the job up: one killed too often fails it. */
    runs: integer('runs').notNull().default(0),
    error: text('error'),
    staffId: ref('staff_id').references(() => staff.id),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    // One import at a time, across processes: a second one waiting or running cannot be written.
    uniqueIndex('member_imports_one_active_key')
      .on(sql`(true)`)
      .where(sql`${t.status} IN ('queued', 'running')`),
  ],
);

/** A file's rows as uploaded (COPY), unchecked; `n` is the row's place in the file from 1. */
export const memberImportRows = pgTable(
  'member_import_rows',
  {
    importId: ref('import_id').notNull(),
    n: integer('n').notNull(),
    line: integer('line').notNull(),
    number: text('number'),
    name: text('name'),
    consentDate: text('consent_date'),
    consentSource: text('consent_source'),
  },
  (t) => [primaryKey({ columns: [t.importId, t.n] })],
);

/** The accepted rows of an import, checked and encrypted, waiting for the one merge at the end. */
export const memberImportChecked = pgTable(
  'member_import_checked',
  {
    importId: ref('import_id').notNull(),
    line: integer('line').notNull(),
    phoneCiphertext: text('phone_ciphertext'),
    phoneIndex: phoneIndexKey('phone_index').notNull(),
    name: text('name'),
    held: boolean('held').notNull(),
    consentAt: timestamp('consent_at', { withTimezone: true }).notNull(),
    consentSource: text('consent_source').notNull(),
  },
  // No index: one import runs at a time, and every statement reads all of its rows.
);
