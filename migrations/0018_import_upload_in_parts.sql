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
--> statement-breakpoint
-- Every text from a known member updates its row. With room left on each page, that update stays on
-- the page (a HOT update: no new entry in either index); an import fills pages whole otherwise. At a
-- million members a flood of texts from members across the network ran at 0.27 of a bare route's rate
-- on full pages, 0.28-0.30 with this and the vacuum after an import. Pages already written keep their
-- fill until rewritten.
ALTER TABLE "supporters" SET (fillfactor = 90);
