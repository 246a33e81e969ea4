CREATE TYPE "public"."broadcast_audience" AS ENUM('network', 'signers', 'non-signers');--> statement-breakpoint
CREATE TYPE "public"."broadcast_status" AS ENUM('queued', 'waiting', 'sending', 'done', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."campaign_status" AS ENUM('draft', 'open', 'closed');--> statement-breakpoint
CREATE TYPE "public"."fax_batch_status" AS ENUM('pending', 'sending', 'delivered', 'partly_failed', 'failed');--> statement-breakpoint
CREATE TYPE "public"."fax_delivery_status" AS ENUM('pending', 'rendering', 'waiting', 'sending', 'delivered', 'failed');--> statement-breakpoint
CREATE TYPE "public"."outbound_status" AS ENUM('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'skipped_opted_out', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."signature_status" AS ENUM('valid', 'held', 'hidden', 'late');--> statement-breakpoint
CREATE TYPE "public"."staff_role" AS ENUM('admin', 'campaigner', 'viewer');--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"staff_id" bigint NOT NULL,
	"token_hash" text NOT NULL,
	"label" text,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"staff_id" bigint,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text,
	"before" jsonb,
	"after" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "broadcasts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" bigint NOT NULL,
	"audience" "broadcast_audience" NOT NULL,
	"body" text,
	"segments" smallint NOT NULL,
	"encoding" text NOT NULL,
	"status" "broadcast_status" DEFAULT 'queued' NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"fanned_out_to" bigint DEFAULT 0 NOT NULL,
	"fanned_out_at" timestamp with time zone,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cancelled_at" timestamp with time zone,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"keyword" text NOT NULL,
	"title" text NOT NULL,
	"reference" text,
	"summary" text,
	"status" "campaign_status" DEFAULT 'draft' NOT NULL,
	"letter_subject" text,
	"letter_body" text NOT NULL,
	"replies" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"closes_at" timestamp with time zone,
	"opened_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"is_demo" boolean DEFAULT false NOT NULL,
	"batch_daily_at" text,
	"batch_threshold" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fax_batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" bigint NOT NULL,
	"status" "fax_batch_status" DEFAULT 'pending' NOT NULL,
	"reason" text NOT NULL,
	"signature_count" integer NOT NULL,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "fax_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"batch_id" bigint NOT NULL,
	"target_id" bigint NOT NULL,
	"part" smallint NOT NULL,
	"parts" smallint NOT NULL,
	"first_name" integer NOT NULL,
	"name_count" integer NOT NULL,
	"pages" integer NOT NULL,
	"status" "fax_delivery_status" DEFAULT 'pending' NOT NULL,
	"number_index" smallint DEFAULT 0 NOT NULL,
	"fax_number" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"number_attempts" smallint DEFAULT 0 NOT NULL,
	"last_error" text,
	"provider" text,
	"provider_fax_id" text,
	"document_path" text,
	"resent" boolean DEFAULT false NOT NULL,
	"callback_token" text NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"submitted_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbound_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"message_sid" text NOT NULL,
	"supporter_id" bigint,
	"to_number" text,
	"body" text,
	"outcome" text NOT NULL,
	"campaign_id" bigint,
	"reply" text NOT NULL,
	"reply_suppressed" boolean DEFAULT false NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbound_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"supporter_id" bigint NOT NULL,
	"broadcast_id" bigint,
	"body" text,
	"segments" smallint NOT NULL,
	"status" "outbound_status" DEFAULT 'queued' NOT NULL,
	"twilio_sid" text,
	"error_code" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"job_name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"enqueued_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signatures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" bigint NOT NULL,
	"supporter_id" bigint NOT NULL,
	"name" text,
	"status" "signature_status" NOT NULL,
	"hold_reason" text,
	"inbound_message_id" bigint,
	"signed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"batch_id" bigint,
	"moderated_at" timestamp with time zone,
	"moderated_by" bigint,
	CONSTRAINT "signatures_name_unless_late" CHECK ("signatures"."name" IS NOT NULL OR "signatures"."status" IN ('late', 'hidden'))
);
--> statement-breakpoint
CREATE TABLE "staff" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"role" "staff_role" NOT NULL,
	"password_hash" text,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "supporters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"phone_ciphertext" text,
	"phone_index" text,
	"name" text,
	"opted_in" boolean DEFAULT true NOT NULL,
	"opted_out_at" timestamp with time zone,
	"no_call" boolean DEFAULT false NOT NULL,
	"consent_at" timestamp with time zone,
	"consent_message_sid" text,
	"consent_terms" text,
	"source" text,
	"pending_campaign_id" bigint,
	"pending_attempts" smallint DEFAULT 0 NOT NULL,
	"erased_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "targets" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" bigint NOT NULL,
	"position" smallint NOT NULL,
	"name" text NOT NULL,
	"title" text,
	"organisation" text,
	"address" text,
	"salutation" text NOT NULL,
	"fax_numbers" text[] NOT NULL,
	"timezone" text DEFAULT 'Europe/Moscow' NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD CONSTRAINT "broadcasts_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD CONSTRAINT "broadcasts_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fax_batches" ADD CONSTRAINT "fax_batches_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fax_batches" ADD CONSTRAINT "fax_batches_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD CONSTRAINT "fax_deliveries_batch_id_fax_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."fax_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD CONSTRAINT "fax_deliveries_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_supporter_id_supporters_id_fk" FOREIGN KEY ("supporter_id") REFERENCES "public"."supporters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_messages" ADD CONSTRAINT "outbound_messages_supporter_id_supporters_id_fk" FOREIGN KEY ("supporter_id") REFERENCES "public"."supporters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_messages" ADD CONSTRAINT "outbound_messages_broadcast_id_broadcasts_id_fk" FOREIGN KEY ("broadcast_id") REFERENCES "public"."broadcasts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signatures" ADD CONSTRAINT "signatures_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signatures" ADD CONSTRAINT "signatures_supporter_id_supporters_id_fk" FOREIGN KEY ("supporter_id") REFERENCES "public"."supporters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signatures" ADD CONSTRAINT "signatures_inbound_message_id_inbound_messages_id_fk" FOREIGN KEY ("inbound_message_id") REFERENCES "public"."inbound_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "targets" ADD CONSTRAINT "targets_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "broadcasts_campaign_idx" ON "broadcasts" USING btree ("campaign_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "campaigns_live_keyword_key" ON "campaigns" USING btree (upper("keyword")) WHERE "campaigns"."status" <> 'closed';--> statement-breakpoint
CREATE INDEX "fax_batches_campaign_idx" ON "fax_batches" USING btree ("campaign_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "fax_deliveries_batch_target_part_key" ON "fax_deliveries" USING btree ("batch_id","target_id","part");--> statement-breakpoint
CREATE UNIQUE INDEX "fax_deliveries_callback_token_key" ON "fax_deliveries" USING btree ("callback_token");--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_messages_message_sid_key" ON "inbound_messages" USING btree ("message_sid");--> statement-breakpoint
CREATE INDEX "inbound_messages_supporter_idx" ON "inbound_messages" USING btree ("supporter_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "outbound_messages_broadcast_supporter_key" ON "outbound_messages" USING btree ("broadcast_id","supporter_id");--> statement-breakpoint
CREATE UNIQUE INDEX "outbound_messages_twilio_sid_key" ON "outbound_messages" USING btree ("twilio_sid");--> statement-breakpoint
CREATE INDEX "outbound_messages_supporter_idx" ON "outbound_messages" USING btree ("supporter_id");--> statement-breakpoint
CREATE INDEX "outbound_messages_unfinished_idx" ON "outbound_messages" USING btree ("broadcast_id") WHERE "outbound_messages"."status" IN ('queued', 'sending');--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("id") WHERE "outbox"."enqueued_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "signatures_campaign_supporter_key" ON "signatures" USING btree ("campaign_id","supporter_id");--> statement-breakpoint
CREATE INDEX "signatures_supporter_idx" ON "signatures" USING btree ("supporter_id");--> statement-breakpoint
CREATE INDEX "signatures_waiting_idx" ON "signatures" USING btree ("campaign_id","id") WHERE "signatures"."batch_id" IS NULL AND "signatures"."status" = 'valid';--> statement-breakpoint
CREATE INDEX "signatures_campaign_status_idx" ON "signatures" USING btree ("campaign_id","status","id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_email_key" ON "staff" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "supporters_phone_index_key" ON "supporters" USING btree ("phone_index");--> statement-breakpoint
CREATE INDEX "targets_campaign_idx" ON "targets" USING btree ("campaign_id","position");