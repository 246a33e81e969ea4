-- Consent to texts (consent_at) now marks a member of the network: it comes from signing an action,
-- joining by a join word or an import, not from the first text whatever it was. Numbers that only
-- asked for help, said hello or asked for a receipt lose the consent their first text recorded, so
-- broadcasts stop reaching them. Everyone with a signature, a join or an import keeps theirs.
DO $$
DECLARE
  changed integer;
BEGIN
  UPDATE supporters s SET consent_at = NULL, consent_message_sid = NULL, consent_terms = NULL
   WHERE s.consent_at IS NOT NULL
     AND s.consent_terms IS DISTINCT FROM 'import'
     AND coalesce(s.source, '') NOT LIKE 'import:%'
     AND coalesce(s.source, '') NOT LIKE 'join%'
     AND NOT EXISTS (SELECT 1 FROM signatures g WHERE g.supporter_id = s.id)
     AND NOT EXISTS (SELECT 1 FROM inbound_messages m WHERE m.supporter_id = s.id AND m.outcome = 'joined');
  GET DIAGNOSTICS changed = ROW_COUNT;
  RAISE NOTICE 'supporters no longer members of the network (no signature, join or import): %', changed;
END $$;
