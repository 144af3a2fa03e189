-- Change notices between instances (host/src/changes.rs): whenever a team's findings are
-- marked stale (a new row, or the generation moved), notify the schema's channel. PostgreSQL
-- delivers the notice when the writing transaction commits, once per transaction however
-- many rows it marked (identical notices are folded), and drops it on rollback. Claims and
-- stored results do not move the generation, so a refresher's own writes wake no one.
CREATE FUNCTION team_checks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sohoa_' || hashtext(current_schema())::text, 'findings');
    RETURN NULL;
END $$;

CREATE TRIGGER team_checks_notify_new AFTER INSERT ON team_checks
    FOR EACH ROW WHEN (NEW.stale = 1) EXECUTE FUNCTION team_checks_notify();
CREATE TRIGGER team_checks_notify_marked AFTER UPDATE OF generation ON team_checks
    FOR EACH ROW WHEN (NEW.generation <> OLD.generation) EXECUTE FUNCTION team_checks_notify();
