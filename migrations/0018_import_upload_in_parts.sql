-- An import's staging rows are scratch: a million of them went through the WAL twice and through a
-- foreign key check each, which cost more than the import's own work. Unlogged, a crash of Postgres (or
-- a failover) empties them, and the job fails with its reason ("the uploaded rows are gone"). Jobs are
-- never deleted but by the upload that wrote them, which drops their rows itself: the cascade had no work.
ALTER TABLE "member_import_checked" DROP CONSTRAINT "member_import_checked_import_id_member_imports_id_fk";
--> statement-breakpoint
ALTER TABLE "member_import_rows" DROP CONSTRAINT "member_import_rows_import_id_member_imports_id_fk";
--> statement-breakpoint
ALTER TABLE "member_import_checked" SET UNLOGGED;
--> statement-breakpoint
ALTER TABLE "member_import_rows" SET UNLOGGED;
--> statement-breakpoint
-- The file is stored a part at a time as it arrives, and the worker checks each part meanwhile.
ALTER TABLE "member_imports" ADD COLUMN "uploading" boolean DEFAULT false NOT NULL;
