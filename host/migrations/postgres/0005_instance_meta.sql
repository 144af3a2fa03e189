-- Facts about this database as a whole. `sohoa demo` writes ('purpose', 'demo') so that it
-- only ever recreates a database it made itself, never one holding an office's own data.
CREATE TABLE instance_meta (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
