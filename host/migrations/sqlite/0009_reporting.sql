-- Periodic reporting (DHIS2's data set registrations and approvals, in sohoa's words).
--
-- A submission is what one unit reported for one period on one report template's form: its
-- figures, where it stands (draft, submitted, accepted by the level above, returned with a
-- reason), whether it came in after the deadline, and the warnings the submitter confirmed.
-- plugin_ref is the form version in force for the period, which judged it.
CREATE TABLE report_submissions (
    id                  INTEGER PRIMARY KEY,
    unit_id             INTEGER NOT NULL REFERENCES units(id),
    template            TEXT NOT NULL,
    period              TEXT NOT NULL,
    plugin_ref          INTEGER NOT NULL REFERENCES plugins(id),
    figures             TEXT NOT NULL DEFAULT '{}',
    status              TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'accepted', 'returned')),
    late                INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    first_submitted_on  TEXT,
    submitted_at        TEXT,
    submitted_by        TEXT,
    confirmed           TEXT NOT NULL DEFAULT '[]',
    reviewed_at         TEXT,
    reviewed_by         TEXT,
    return_reason       TEXT,
    updated_at          TEXT NOT NULL,
    updated_by          TEXT NOT NULL,
    UNIQUE (unit_id, template, period)
);
CREATE INDEX report_submissions_period ON report_submissions (template, period, unit_id);

-- The level above opening a locked form again for one unit until a day (inclusive).
CREATE TABLE report_unlocks (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    template    TEXT NOT NULL,
    period      TEXT NOT NULL,
    open_until  TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (length(reason) > 0),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX report_unlocks_unit ON report_unlocks (unit_id, template, period);

-- A report compiled at a unit from the accepted submissions below it, with exactly what its
-- template was given (the render input and the binding's parameters) and which component
-- version rendered it, so that the document can be made again byte for byte.
CREATE TABLE compiled_reports (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    template        TEXT NOT NULL,
    period          TEXT NOT NULL,
    plugin_ref      INTEGER NOT NULL REFERENCES plugins(id),
    plugin_sha256   TEXT NOT NULL,
    bound_at        TEXT NOT NULL,
    effective_from  TEXT NOT NULL,
    params          TEXT NOT NULL,
    input           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('compiled', 'approved', 'sent', 'returned')),
    compiled_at     TEXT NOT NULL,
    compiled_by     TEXT NOT NULL,
    approved_at     TEXT,
    approved_by     TEXT,
    sent_at         TEXT,
    sent_by         TEXT,
    returned_at     TEXT,
    returned_by     TEXT,
    return_reason   TEXT,
    UNIQUE (unit_id, template, period)
);

-- The district leadership (Lãnh đạo UBND huyện) approves the district's report for the People's
-- Committee. SQLite cannot change a CHECK in place: rebuild the table.
CREATE TABLE role_assignments_new (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL CHECK (role IN ('province_admin', 'district_culture', 'district_home_affairs',
                    'district_youth_union', 'district_leader', 'commune_officer', 'team_leader', 'viewer')),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    team_id     INTEGER REFERENCES teams(id),
    created_at  TEXT NOT NULL,
    CHECK ((role = 'team_leader') = (team_id IS NOT NULL))
);
INSERT INTO role_assignments_new (id, user_id, role, unit_id, team_id, created_at)
SELECT id, user_id, role, unit_id, team_id, created_at FROM role_assignments;
DROP TABLE role_assignments;
ALTER TABLE role_assignments_new RENAME TO role_assignments;
CREATE INDEX role_assignments_user ON role_assignments (user_id);
