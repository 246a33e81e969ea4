CREATE TABLE "early_delivery_reports" (
	"message_sid" text PRIMARY KEY NOT NULL,
	"status" "outbound_status" NOT NULL,
	"error_code" integer,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "early_delivery_reports_received_idx" ON "early_delivery_reports" USING btree ("received_at");