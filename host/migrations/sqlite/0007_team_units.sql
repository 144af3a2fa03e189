-- Where a team serves over time. A team is set up in a commune or village; when that unit
-- closes (a merge, the 2025 reform), the team goes on serving its successor from the closing
-- day, and its earlier placement stays for the dates before. teams.unit_id is the latest
-- placement (the open one); every query "as of" a date reads the placement of that date.
-- valid_from is inclusive (NULL: since the team was set up), valid_to exclusive (NULL: open).
CREATE TABLE team_units (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    valid_from  TEXT,
    valid_to    TEXT,
    -- Why the team moved, e.g. "Xã Bình Tường sáp nhập vào Xã Bình Phú".
    reason      TEXT NOT NULL DEFAULT ''
);
INSERT INTO team_units (team_id, unit_id) SELECT id, unit_id FROM teams;
CREATE INDEX team_units_team ON team_units (team_id);
CREATE INDEX team_units_unit ON team_units (unit_id);
