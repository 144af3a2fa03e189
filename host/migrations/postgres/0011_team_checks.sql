-- Each team's current composition findings; see the SQLite migration of the same number for
-- what every column and trigger means (host/src/teams/findings.rs reads and writes them).
CREATE TABLE team_checks (
    team_id     BIGINT PRIMARY KEY REFERENCES teams(id),
    stale       BIGINT NOT NULL DEFAULT 1,
    generation  BIGINT NOT NULL DEFAULT 0,
    as_of       TEXT,
    epoch       BIGINT NOT NULL DEFAULT 0,
    plugin      TEXT,
    params      TEXT,
    errors      BIGINT NOT NULL DEFAULT 0,
    warnings    BIGINT NOT NULL DEFAULT 0,
    first_error TEXT,
    findings    TEXT NOT NULL DEFAULT '[]',
    failure     TEXT,
    lease_owner TEXT,
    lease_until TEXT,
    computed_at TEXT
);
CREATE INDEX team_checks_stale ON team_checks (team_id) WHERE stale = 1;
CREATE INDEX team_checks_failing ON team_checks (team_id) WHERE errors > 0;
INSERT INTO team_checks (team_id) SELECT id FROM teams;

CREATE TABLE check_epoch (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   BIGINT NOT NULL
);
INSERT INTO check_epoch (id, n) VALUES (1, 0);

CREATE FUNCTION team_checks_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'teams' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO team_checks (team_id) VALUES (NEW.id) ON CONFLICT (team_id) DO NOTHING;
        ELSE
            UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id = NEW.id;
        END IF;
    ELSIF TG_TABLE_NAME = 'people' THEN
        UPDATE team_checks SET stale = 1, generation = generation + 1
        WHERE team_id IN (SELECT team_id FROM memberships WHERE person_id = NEW.id);
    ELSIF TG_OP = 'INSERT' THEN
        UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id = NEW.team_id;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id IN (OLD.team_id, NEW.team_id);
    ELSE
        UPDATE team_checks SET stale = 1, generation = generation + 1 WHERE team_id = OLD.team_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER team_checks_team AFTER INSERT OR UPDATE ON teams
    FOR EACH ROW EXECUTE FUNCTION team_checks_mark();
CREATE TRIGGER team_checks_membership AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION team_checks_mark();
CREATE TRIGGER team_checks_person AFTER UPDATE ON people
    FOR EACH ROW EXECUTE FUNCTION team_checks_mark();
CREATE TRIGGER team_checks_placement AFTER INSERT OR UPDATE ON team_units
    FOR EACH ROW EXECUTE FUNCTION team_checks_mark();

-- A change of the unit tree moves the epoch once per statement (a national import is one).
CREATE FUNCTION team_checks_tree() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE check_epoch SET n = n + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER team_checks_tree AFTER INSERT OR UPDATE OR DELETE ON unit_versions
    FOR EACH STATEMENT EXECUTE FUNCTION team_checks_tree();
