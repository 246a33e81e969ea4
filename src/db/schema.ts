import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  jsonb,
  pgEnum,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const id = () => bigserial('id', { mode: 'number' }).primaryKey();
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const ref = (name: string) => bigint(name, { mode: 'number' });

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
    phoneIndex: text('phone_index'),
    name: text('name'),
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

export interface CampaignReplies {
  /** Sent after signing; {name} is replaced by the signer's name. */
  thanks?: string;
  /** The action alert staff send to the network. */
  alert?: string;
}

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
    replies: jsonb('replies').$type<CampaignReplies>().notNull().default({}),
    closesAt: timestamp('closes_at', { withTimezone: true }),
    openedAt: timestamp('opened_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    /** Demo campaigns carry fictional fax numbers; no real provider ever sends them. */
    isDemo: boolean('is_demo').notNull().default(false),
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
    /** The name as it goes on the fax, fixed when signed; a late reply may come without one. */
    name: text('name'),
    status: signatureStatus('status').notNull(),
    holdReason: text('hold_reason'),
    inboundMessageId: ref('inbound_message_id').references(() => inboundMessages.id),
    signedAt: timestamp('signed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('signatures_campaign_supporter_key').on(t.campaignId, t.supporterId),
    index('signatures_supporter_idx').on(t.supporterId),
    index('signatures_campaign_status_idx').on(t.campaignId, t.status, t.id),
    check('signatures_name_unless_late', sql`${t.name} IS NOT NULL OR ${t.status} = 'late'`),
  ],
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
