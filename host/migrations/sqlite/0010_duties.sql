-- The other offices' duties (issue 14): emulation campaigns with their evaluations, proposals
-- and commendation records (Home Affairs, co-signed by Culture and Information, decided by the
-- district leadership); Youth Union nominations; guidance documents; the management group.

-- An emulation campaign (phong trào thi đua) organised at a unit by an office. Its figures
-- come from the accepted submissions of `template` over `period`, plus base figures the
-- reports do not carry (e.g. households per commune, from the statistics office).
CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    name            TEXT NOT NULL CHECK (length(name) > 0),
    office          TEXT NOT NULL,
    period          TEXT NOT NULL,
    template        TEXT NOT NULL,
    base_figures    TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'evaluating', 'closed')),
    -- The latest evaluation: the ranked results with the figures each candidate was given
    -- (JSON), and the criteria plugin that produced them.
    evaluation      TEXT,
    plugin_ref      INTEGER REFERENCES plugins(id),
    plugin_sha256   TEXT,
    evaluated_at    TEXT,
    evaluated_by    TEXT,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (unit_id, name)
);

-- The proposal (Tờ trình) of a campaign: one per campaign.
CREATE TABLE proposals (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL UNIQUE REFERENCES campaigns(id),
    justification   TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('proposed', 'cosigned', 'decided')),
    proposed_at     TEXT NOT NULL,
    proposed_by     TEXT NOT NULL,
    cosigned_at     TEXT,
    cosigned_by     TEXT,
    decided_at      TEXT,
    decided_by      TEXT,
    decision_number TEXT,
    decision_date   TEXT
);

-- One candidate proposed for one form of award.
CREATE TABLE proposal_lines (
    id              INTEGER PRIMARY KEY,
    proposal_id     INTEGER NOT NULL REFERENCES proposals(id),
    position        INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('team', 'member')),
    subject_id      INTEGER NOT NULL,
    name            TEXT NOT NULL,
    unit_name       TEXT NOT NULL,
    score           TEXT,
    award           TEXT NOT NULL CHECK (length(award) > 0),
    justification   TEXT NOT NULL,
    outcome         TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'approved', 'rejected')),
    reject_reason   TEXT,
    UNIQUE (proposal_id, kind, subject_id)
);

-- An award on a team's or a person's record.
CREATE TABLE commendations (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('team', 'member')),
    team_id         INTEGER NOT NULL REFERENCES teams(id),
    membership_id   INTEGER REFERENCES memberships(id),
    person_id       INTEGER REFERENCES people(id),
    recipient       TEXT NOT NULL,
    award           TEXT NOT NULL,
    decision_number TEXT NOT NULL,
    decision_date   TEXT NOT NULL,
    campaign_id     INTEGER REFERENCES campaigns(id),
    line_id         INTEGER REFERENCES proposal_lines(id),
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    created_at      TEXT NOT NULL
);
CREATE INDEX commendations_team ON commendations (team_id);
CREATE INDEX commendations_person ON commendations (person_id);

-- A young person the Youth Union nominates to a commune (or one of its teams).
CREATE TABLE nominations (
    id              INTEGER PRIMARY KEY,
    nominating_id   INTEGER NOT NULL REFERENCES units(id),
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    team_id         INTEGER REFERENCES teams(id),
    full_name       TEXT NOT NULL CHECK (length(full_name) > 0),
    gender          TEXT NOT NULL,
    birth_year      INTEGER NOT NULL,
    phone           TEXT,
    email           TEXT,
    skills          TEXT NOT NULL DEFAULT '[]',
    note            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    decline_reason  TEXT,
    membership_id   INTEGER REFERENCES memberships(id),
    nominated_at    TEXT NOT NULL,
    nominated_by    TEXT NOT NULL,
    answered_at     TEXT,
    answered_by     TEXT
);
CREATE INDEX nominations_unit ON nominations (unit_id);
CREATE INDEX nominations_nominating ON nominations (nominating_id);

-- A guidance document (a stored file, or a link) for the units below `unit_id`.
CREATE TABLE guidance_documents (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    title           TEXT NOT NULL CHECK (length(title) > 0),
    link            TEXT,
    sha256          TEXT,
    media_type      TEXT,
    file_name       TEXT,
    size            INTEGER,
    levels          TEXT NOT NULL DEFAULT '[]',
    roles           TEXT NOT NULL DEFAULT '[]',
    valid_from      TEXT NOT NULL,
    valid_until     TEXT,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    CHECK ((link IS NULL) <> (sha256 IS NULL))
);
CREATE INDEX guidance_unit ON guidance_documents (unit_id);

-- File contents by SHA-256, for stores that keep them in the database (PostgreSQL); SQLite
-- instances keep them on disk under the data directory.
CREATE TABLE blobs (
    sha256          TEXT PRIMARY KEY,
    bytes           BLOB NOT NULL,
    created_at      TEXT NOT NULL
);

-- Who sits in a unit's management group (Tổ quản lý), and who is its focal point.
CREATE TABLE management_group (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    full_name       TEXT NOT NULL CHECK (length(full_name) > 0),
    title           TEXT NOT NULL,
    office          TEXT NOT NULL DEFAULT '',
    phone           TEXT,
    email           TEXT,
    focal_point     INTEGER NOT NULL DEFAULT 0 CHECK (focal_point IN (0, 1)),
    from_date       TEXT NOT NULL,
    until_date      TEXT,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL
);
CREATE INDEX management_group_unit ON management_group (unit_id);
