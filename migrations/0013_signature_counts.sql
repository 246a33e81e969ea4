CREATE TABLE "signature_counts" (
	"campaign_id" bigint NOT NULL,
	"status" "signature_status" NOT NULL,
	"faxed" boolean NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"shard" smallint NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "signature_counts_campaign_id_status_faxed_hour_shard_pk" PRIMARY KEY("campaign_id","status","faxed","hour","shard")
);
--> statement-breakpoint
CREATE INDEX "signatures_campaign_signed_idx" ON "signatures" USING btree ("campaign_id","signed_at");