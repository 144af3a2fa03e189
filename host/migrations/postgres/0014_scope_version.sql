-- The version of what scope pages show; see the SQLite migration of the same number for what
-- it counts and why (host/src/teams/scope_cache.rs reads it).
--
-- Here the count moves once per writing transaction, when it commits: the triggers are
-- deferred constraint triggers, and the first one to run sets a transaction-local flag. A
-- plain trigger would lock the one row at the first marked team and hold it to the end of
-- the transaction, so concurrent writers of different teams would wait on each other (or
-- deadlock, each holding a team the other wants); deferred, the row is taken last, for the
-- moment of the commit.
CREATE TABLE scope_version (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   BIGINT NOT NULL
);
INSERT INTO scope_version (id, n) VALUES (1, 0);

CREATE FUNCTION scope_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sohoa.scope_version_moved', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('sohoa.scope_version_moved', 'yes', true);
        UPDATE scope_version SET n = n + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER scope_version_checks
    AFTER INSERT OR DELETE OR UPDATE OF stale, generation, as_of, epoch, plugin, params, errors, warnings,
        first_error, findings, failure, leaderless ON team_checks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION scope_version_bump();
