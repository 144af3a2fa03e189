-- A unit may have several report templates enabled at once (a commune's monthly report and a
-- district's quarterly one), so a binding is also keyed by its slot: the template's plugin id
-- for reports, '' for composition and commendation, which have one rule per unit.
-- SQLite cannot change a table's constraints in place: rebuild it.
CREATE TABLE plugin_bindings_new (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    kind            TEXT NOT NULL CHECK (kind IN ('composition', 'report', 'commendation')),
    slot            TEXT NOT NULL DEFAULT '',
    plugin_ref      INTEGER REFERENCES plugins(id),
    params          TEXT NOT NULL DEFAULT '[]',
    effective_from  TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    UNIQUE (unit_id, kind, slot, effective_from)
);
INSERT INTO plugin_bindings_new (id, unit_id, kind, slot, plugin_ref, params, effective_from, created_at, created_by)
SELECT b.id, b.unit_id, b.kind,
       CASE WHEN b.kind = 'report' THEN COALESCE((SELECT p.plugin_id FROM plugins p WHERE p.id = b.plugin_ref), '') ELSE '' END,
       b.plugin_ref, b.params, b.effective_from, b.created_at, b.created_by
FROM plugin_bindings b;
DROP TABLE plugin_bindings;
ALTER TABLE plugin_bindings_new RENAME TO plugin_bindings;
CREATE INDEX plugin_bindings_unit ON plugin_bindings (unit_id, kind, slot, effective_from);
