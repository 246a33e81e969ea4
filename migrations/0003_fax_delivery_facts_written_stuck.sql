ALTER TYPE "public"."fax_batch_status" ADD VALUE 'written' BEFORE 'partly_failed';--> statement-breakpoint
ALTER TYPE "public"."fax_delivery_status" ADD VALUE 'written' BEFORE 'failed';--> statement-breakpoint
ALTER TABLE "fax_batches" ADD COLUMN "nudged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "polled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "nudged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "provider_completed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "pages_sent" integer;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "duration_seconds" integer;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "remote_id" text;