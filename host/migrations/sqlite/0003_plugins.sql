-- Every installed version of every plugin; the component itself is stored here so that all
-- host instances see the same set.
CREATE TABLE plugins (
    id                  INTEGER PRIMARY KEY,
    plugin_id           TEXT NOT NULL,
    version             TEXT NOT NULL,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL,
    interface_version   TEXT NOT NULL,
    kinds               TEXT NOT NULL,
    metadata            TEXT NOT NULL,
    sha256              TEXT NOT NULL,
    size                INTEGER NOT NULL,
    component           BLOB NOT NULL,
    installed_at        TEXT NOT NULL,
    installed_by        TEXT NOT NULL,
    UNIQUE (plugin_id, version)
);

-- Which plugin version applies to a unit's subtree for a kind of rule, from a date on.
-- plugin_ref NULL disables the rule for the subtree from that date.
CREATE TABLE plugin_bindings (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    kind            TEXT NOT NULL CHECK (kind IN ('composition', 'report', 'commendation')),
    plugin_ref      INTEGER REFERENCES plugins(id),
    params          TEXT NOT NULL DEFAULT '[]',
    effective_from  TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    UNIQUE (unit_id, kind, effective_from)
);
CREATE INDEX plugin_bindings_unit ON plugin_bindings (unit_id, kind, effective_from);
