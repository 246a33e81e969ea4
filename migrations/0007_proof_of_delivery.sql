ALTER TYPE "public"."broadcast_audience" ADD VALUE 'batch';--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "batch_id" bigint;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "public" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ADD COLUMN "document_sha256" text;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD CONSTRAINT "broadcasts_batch_id_fax_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."fax_batches"("id") ON DELETE no action ON UPDATE no action;