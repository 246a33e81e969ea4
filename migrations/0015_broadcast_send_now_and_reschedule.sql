ALTER TABLE "broadcasts" ADD COLUMN "ignores_quiet_hours" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "send_after" timestamp with time zone;