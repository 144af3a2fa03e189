-- The version of what scope pages show (host/src/teams/scope_cache.rs): a count of the
-- changes to `team_checks`, moved in the writer's own transaction. Every change a home page
-- or a dashboard shows passes through that table: the triggers of migration 0011 mark a
-- team's row when the team, its memberships, its members' records or its placement change, a
-- binding's change marks its subtree, and a refresher stores findings there. (A change of the
-- unit tree moves `check_epoch`, which the pages read with this.) Lease claims are left out:
-- they change nothing a page shows. Pages keep what they computed under the version they read
-- and compute again when it has moved, on any instance, whoever wrote.
CREATE TABLE scope_version (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);
INSERT INTO scope_version (id, n) VALUES (1, 0);

CREATE TRIGGER scope_version_checks_insert AFTER INSERT ON team_checks BEGIN
    UPDATE scope_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER scope_version_checks_update AFTER UPDATE OF stale, generation, as_of, epoch, plugin, params,
    errors, warnings, first_error, findings, failure, leaderless ON team_checks BEGIN
    UPDATE scope_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER scope_version_checks_delete AFTER DELETE ON team_checks BEGIN
    UPDATE scope_version SET n = n + 1 WHERE id = 1;
END;
