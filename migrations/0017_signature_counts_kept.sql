-- Signature counts kept by the statement that writes signatures (see signature_counts in schema.ts).
-- Each statement adds its rows, grouped, to the counters of its own connection's shard, in key order
-- so that two statements never wait on each other's counters crosswise.
CREATE FUNCTION signature_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO signature_counts AS c (campaign_id, status, faxed, hour, shard, n)
    SELECT campaign_id, status, batch_id IS NOT NULL, date_trunc('hour', signed_at, 'UTC'),
           pg_backend_pid() % 16, -count(*)
      FROM old_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (campaign_id, status, faxed, hour, shard) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO signature_counts AS c (campaign_id, status, faxed, hour, shard, n)
    SELECT campaign_id, status, batch_id IS NOT NULL, date_trunc('hour', signed_at, 'UTC'),
           pg_backend_pid() % 16, count(*)
      FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (campaign_id, status, faxed, hour, shard) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION signature_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM signature_counts;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER signature_counts_insert AFTER INSERT ON signatures
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION signature_counts_add();
--> statement-breakpoint
CREATE TRIGGER signature_counts_update AFTER UPDATE ON signatures
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION signature_counts_add();
--> statement-breakpoint
CREATE TRIGGER signature_counts_delete AFTER DELETE ON signatures
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION signature_counts_add();
--> statement-breakpoint
CREATE TRIGGER signature_counts_truncate AFTER TRUNCATE ON signatures
  FOR EACH STATEMENT EXECUTE FUNCTION signature_counts_clear();
--> statement-breakpoint
-- The signatures already written, counted once.
INSERT INTO signature_counts (campaign_id, status, faxed, hour, shard, n)
SELECT campaign_id, status, batch_id IS NOT NULL, date_trunc('hour', signed_at, 'UTC'), 0, count(*)
  FROM signatures GROUP BY 1, 2, 3, 4;
