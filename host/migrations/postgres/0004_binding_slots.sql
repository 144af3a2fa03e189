-- A unit may have several report templates enabled at once (a commune's monthly report and a
-- district's quarterly one), so a binding is also keyed by its slot: the template's plugin id
-- for reports, '' for composition and commendation, which have one rule per unit.
ALTER TABLE plugin_bindings ADD COLUMN slot TEXT NOT NULL DEFAULT '';
UPDATE plugin_bindings b SET slot = p.plugin_id FROM plugins p WHERE p.id = b.plugin_ref AND b.kind = 'report';
ALTER TABLE plugin_bindings DROP CONSTRAINT plugin_bindings_unit_id_kind_effective_from_key;
ALTER TABLE plugin_bindings ADD CONSTRAINT plugin_bindings_slot_key UNIQUE (unit_id, kind, slot, effective_from);
DROP INDEX plugin_bindings_unit;
CREATE INDEX plugin_bindings_unit ON plugin_bindings (unit_id, kind, slot, effective_from);
