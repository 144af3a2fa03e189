CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- A role held at a unit covers the unit's subtree; a team leader's also names the team.
CREATE TABLE role_assignments (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL CHECK (role IN ('province_admin', 'district_culture', 'district_home_affairs',
                    'district_youth_union', 'commune_officer', 'team_leader', 'viewer')),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    team_id     INTEGER REFERENCES teams(id),
    created_at  TEXT NOT NULL,
    CHECK ((role = 'team_leader') = (team_id IS NOT NULL))
);
CREATE INDEX role_assignments_user ON role_assignments (user_id);

-- Browser sessions and API tokens: only a hash of the secret is kept.
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    token_hash      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('session', 'token')),
    name            TEXT NOT NULL DEFAULT '',
    read_only       INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    unit_id         INTEGER REFERENCES units(id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    revoked_at      TEXT,
    last_used_at    TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id          INTEGER PRIMARY KEY,
    username    TEXT NOT NULL,
    address     TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    unit_id     INTEGER REFERENCES units(id),
    before_json TEXT,
    after_json  TEXT,
    reason      TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_unit ON audit_log (unit_id);

-- The audit trail is append-only, whatever client touches the database.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
