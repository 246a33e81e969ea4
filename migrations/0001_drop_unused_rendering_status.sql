ALTER TABLE "fax_deliveries" ALTER COLUMN "status" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "fax_deliveries" ALTER COLUMN "status" SET DEFAULT 'pending'::text;--> statement-breakpoint
DROP TYPE "public"."fax_delivery_status";--> statement-breakpoint
CREATE TYPE "public"."fax_delivery_status" AS ENUM('pending', 'waiting', 'sending', 'delivered', 'failed');--> statement-breakpoint
ALTER TABLE "fax_deliveries" ALTER COLUMN "status" SET DEFAULT 'pending'::"public"."fax_delivery_status";--> statement-breakpoint
ALTER TABLE "fax_deliveries" ALTER COLUMN "status" SET DATA TYPE "public"."fax_delivery_status" USING "status"::"public"."fax_delivery_status";