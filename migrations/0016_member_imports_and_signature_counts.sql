CREATE TYPE "public"."member_import_status" AS ENUM('queued', 'running', 'done', 'failed');--> statement-breakpoint
CREATE TABLE "member_import_checked" (
	"import_id" bigint NOT NULL,
	"line" integer NOT NULL,
	"phone_ciphertext" text,
	"phone_index" text NOT NULL,
	"name" text,
	"held" boolean NOT NULL,
	"consent_at" timestamp with time zone NOT NULL,
	"consent_source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "member_import_rows" (
	"import_id" bigint NOT NULL,
	"n" integer NOT NULL,
	"line" integer NOT NULL,
	"number" text,
	"name" text,
	"consent_date" text,
	"consent_source" text,
	CONSTRAINT "member_import_rows_import_id_n_pk" PRIMARY KEY("import_id","n")
);
--> statement-breakpoint
CREATE TABLE "member_imports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"status" "member_import_status" DEFAULT 'queued' NOT NULL,
	"dry_run" boolean NOT NULL,
	"rows" integer DEFAULT 0 NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"imported" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"held" integer DEFAULT 0 NOT NULL,
	"refused_count" integer DEFAULT 0 NOT NULL,
	"refused" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"runs" integer DEFAULT 0 NOT NULL,
	"error" text,
	"staff_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
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
ALTER TABLE "member_import_checked" ADD CONSTRAINT "member_import_checked_import_id_member_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."member_imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_import_rows" ADD CONSTRAINT "member_import_rows_import_id_member_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."member_imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_imports" ADD CONSTRAINT "member_imports_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "member_imports_one_active_key" ON "member_imports" USING btree ((true)) WHERE "member_imports"."status" IN ('queued', 'running');--> statement-breakpoint
CREATE INDEX "signatures_campaign_signed_idx" ON "signatures" USING btree ("campaign_id","signed_at");