CREATE TYPE "public"."campaign_status" AS ENUM('draft', 'open', 'closed');--> statement-breakpoint
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
CREATE TABLE "signatures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" bigint NOT NULL,
	"supporter_id" bigint NOT NULL,
	"name" text,
	"status" "signature_status" NOT NULL,
	"hold_reason" text,
	"inbound_message_id" bigint,
	"signed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "signatures_name_unless_late" CHECK ("signatures"."name" IS NOT NULL OR "signatures"."status" = 'late')
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
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_supporter_id_supporters_id_fk" FOREIGN KEY ("supporter_id") REFERENCES "public"."supporters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signatures" ADD CONSTRAINT "signatures_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signatures" ADD CONSTRAINT "signatures_supporter_id_supporters_id_fk" FOREIGN KEY ("supporter_id") REFERENCES "public"."supporters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signatures" ADD CONSTRAINT "signatures_inbound_message_id_inbound_messages_id_fk" FOREIGN KEY ("inbound_message_id") REFERENCES "public"."inbound_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "targets" ADD CONSTRAINT "targets_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "campaigns_live_keyword_key" ON "campaigns" USING btree (upper("keyword")) WHERE "campaigns"."status" <> 'closed';--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_messages_message_sid_key" ON "inbound_messages" USING btree ("message_sid");--> statement-breakpoint
CREATE INDEX "inbound_messages_supporter_idx" ON "inbound_messages" USING btree ("supporter_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "signatures_campaign_supporter_key" ON "signatures" USING btree ("campaign_id","supporter_id");--> statement-breakpoint
CREATE INDEX "signatures_supporter_idx" ON "signatures" USING btree ("supporter_id");--> statement-breakpoint
CREATE INDEX "signatures_campaign_status_idx" ON "signatures" USING btree ("campaign_id","status","id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_email_key" ON "staff" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "supporters_phone_index_key" ON "supporters" USING btree ("phone_index");--> statement-breakpoint
CREATE INDEX "targets_campaign_idx" ON "targets" USING btree ("campaign_id","position");