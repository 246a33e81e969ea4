CREATE TYPE "public"."delivery_channel" AS ENUM('fax', 'email');--> statement-breakpoint
CREATE TYPE "public"."target_channel" AS ENUM('fax-then-email', 'email', 'both');--> statement-breakpoint
CREATE TYPE "public"."target_language" AS ENUM('en', 'ru');--> statement-breakpoint
ALTER TYPE "public"."fax_delivery_status" ADD VALUE 'uncertain';--> statement-breakpoint
DROP INDEX "fax_deliveries_batch_target_part_key";--> statement-breakpoint
ALTER TABLE "fax_deliveries" ALTER COLUMN "fax_number" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "letter_translation" jsonb;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "short_title" text;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "contact" jsonb;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "channel" "delivery_channel" DEFAULT 'fax' NOT NULL;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "email_address" text;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "smtp_reply" text;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "staff_notified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "targets" ADD COLUMN "emails" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "targets" ADD COLUMN "channel" "target_channel" DEFAULT 'fax-then-email' NOT NULL;--> statement-breakpoint
ALTER TABLE "targets" ADD COLUMN "language" "target_language" DEFAULT 'en' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "fax_deliveries_batch_target_part_channel_key" ON "fax_deliveries" USING btree ("batch_id","target_id","part","channel");--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD CONSTRAINT "fax_deliveries_address_of_channel" CHECK (("fax_deliveries"."channel" = 'fax' AND "fax_deliveries"."fax_number" IS NOT NULL) OR ("fax_deliveries"."channel" = 'email' AND "fax_deliveries"."email_address" IS NOT NULL));