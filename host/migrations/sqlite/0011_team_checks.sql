-- Each team's current composition findings, kept so that pages read them with indexed queries
-- instead of running every rule over the whole scope on every load (host/src/teams/findings.rs).
-- A row is current when stale = 0, as_of is today and epoch is check_epoch's: the triggers
-- below mark a team stale in the same transaction as any change to the team, its members
-- (or their people) or its placement; a change of a composition binding marks its subtree
-- (host/src/plugins/bindings.rs); a change of the unit tree moves the epoch, which makes
-- every row stale at once. generation counts the marks, so a refresh that read a team before
-- it changed again does not clear the newer mark.
CREATE TABLE team_checks (
    team_id     INTEGER PRIMARY KEY REFERENCES teams(id),
    stale       INTEGER NOT NULL DEFAULT 1,
    generation  INTEGER NOT NULL DEFAULT 0,
    -- The day the findings are for (ISO), and the tree's epoch then.
    as_of       TEXT,
    epoch       INTEGER NOT NULL DEFAULT 0,
    -- "plugin_id@version" that ran and its parameters (JSON); NULL when no rule applies.
    plugin      TEXT,
    params      TEXT,
    errors      INTEGER NOT NULL DEFAULT 0,
    warnings    INTEGER NOT NULL DEFAULT 0,
    first_error TEXT,
    findings    TEXT NOT NULL DEFAULT '[]',
    -- Why the rule could not run (a plugin failure), NULL when it ran.
    failure     TEXT,
    -- A refresher (one host instance) that claimed the row, until when (UTC, ISO 8601).
    lease_owner TEXT,
    lease_until TEXT,
    computed_at TEXT
);
CREATE INDEX team_checks_stale ON team_checks (team_id) WHERE stale = 1;
CREATE INDEX team_checks_failing ON team_checks (team_id) WHERE errors > 0;
INSERT INTO team_checks (team_id) SELECT id FROM teams;

CREATE TABLE check_epoch (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);
INSERT INTO check_epoch (id, n) VALUES (1, 0);

CREATE TRIGGER team_checks_team_insert AFTER INSERT ON teams BEGIN
    INSERT OR IGNORE INTO team_checks (team_id) VALUES (NEW.id);
END;
CREATE TRIGGER team_checks_team_update AFTER UPDATE ON teams BEGIN
    UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id = NEW.id;
END;
CREATE TRIGGER team_checks_membership_insert AFTER INSERT ON memberships BEGIN
    UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id = NEW.team_id;
END;
CREATE TRIGGER team_checks_membership_update AFTER UPDATE ON memberships BEGIN
    UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id IN (OLD.team_id, NEW.team_id);
END;
CREATE TRIGGER team_checks_membership_delete AFTER DELETE ON memberships BEGIN
    UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id = OLD.team_id;
END;
CREATE TRIGGER team_checks_person_update AFTER UPDATE ON people BEGIN
    UPDATE team_checks SET stale = 1, generation = generation + 1
    WHERE team_id IN (SELECT team_id FROM memberships WHERE person_id = NEW.id);
END;
CREATE TRIGGER team_checks_placement_insert AFTER INSERT ON team_units BEGIN
    UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id = NEW.team_id;
END;
CREATE TRIGGER team_checks_placement_update AFTER UPDATE ON team_units BEGIN
    UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id IN (OLD.team_id, NEW.team_id);
END;
CREATE TRIGGER team_checks_tree_insert AFTER INSERT ON unit_versions BEGIN
    UPDATE check_epoch SET n = n + 1;
END;
CREATE TRIGGER team_checks_tree_update AFTER UPDATE ON unit_versions BEGIN
    UPDATE check_epoch SET n = n + 1;
END;
CREATE TRIGGER team_checks_tree_delete AFTER DELETE ON unit_versions BEGIN
    UPDATE check_epoch SET n = n + 1;
END;
