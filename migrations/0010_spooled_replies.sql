ALTER TABLE "outbound_messages" ADD COLUMN "in_reply_to" text;--> statement-breakpoint
CREATE UNIQUE INDEX "outbound_messages_in_reply_to_key" ON "outbound_messages" USING btree ("in_reply_to");