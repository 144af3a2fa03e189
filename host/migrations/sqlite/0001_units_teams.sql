-- Administrative units: identity (code) apart from its versions in time.
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- One row per period in which a unit had a given name, type, level and parent.
-- valid_from is inclusive (NULL: since before our records), valid_to exclusive (NULL: open).
CREATE TABLE unit_versions (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    name        TEXT NOT NULL CHECK (length(name) > 0),
    search_key  TEXT NOT NULL,
    unit_type   TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune', 'village')),
    parent_id   INTEGER REFERENCES units(id),
    valid_from  TEXT,
    valid_to    TEXT,
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX unit_versions_unit ON unit_versions (unit_id, valid_from);
CREATE INDEX unit_versions_parent ON unit_versions (parent_id);
CREATE INDEX unit_versions_search ON unit_versions (search_key);

-- What a closed unit became: merged into one successor, or split among several.
CREATE TABLE unit_successions (
    id              INTEGER PRIMARY KEY,
    predecessor_id  INTEGER NOT NULL REFERENCES units(id),
    successor_id    INTEGER NOT NULL REFERENCES units(id),
    effective_on    TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('merge', 'split')),
    note            TEXT NOT NULL DEFAULT '',
    UNIQUE (predecessor_id, successor_id)
);
CREATE INDEX unit_successions_successor ON unit_successions (successor_id);

CREATE TABLE teams (
    id                  INTEGER PRIMARY KEY,
    unit_id             INTEGER NOT NULL REFERENCES units(id),
    name                TEXT NOT NULL CHECK (length(name) > 0),
    search_key          TEXT NOT NULL,
    decision_number     TEXT NOT NULL,
    decision_date       TEXT NOT NULL,
    decision_signer     TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'suspended', 'dissolved')),
    status_date         TEXT,
    status_reason       TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (unit_id, name)
);
CREATE INDEX teams_unit ON teams (unit_id);

-- A person may serve on several teams; each stint is a membership.
CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    full_name   TEXT NOT NULL CHECK (length(full_name) > 0),
    search_key  TEXT NOT NULL,
    gender      TEXT NOT NULL CHECK (gender IN ('male', 'female', 'other')),
    birth_year  INTEGER NOT NULL,
    phone       TEXT,
    email       TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX people_phone ON people (phone);
CREATE INDEX people_search ON people (search_key, birth_year);

CREATE TABLE memberships (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    position    TEXT NOT NULL CHECK (position IN ('leader', 'deputy', 'member')),
    affiliation TEXT NOT NULL,
    skills      TEXT NOT NULL DEFAULT '[]',
    joined_on   TEXT NOT NULL,
    left_on     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (left_on IS NULL OR left_on >= joined_on),
    UNIQUE (team_id, person_id, joined_on)
);
CREATE INDEX memberships_team ON memberships (team_id);
CREATE INDEX memberships_person ON memberships (person_id);
