-- Names are ordered in Vietnamese (a ă â b c d đ e ê ..., tones after letters) by a collation
-- key computed in Rust with ICU4X (text::sort_key) and compared as bytes. The host fills the
-- keys at start (db::Db::migrate) and recomputes them when the collation version changes.
ALTER TABLE people ADD COLUMN sort_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN sort_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE unit_versions ADD COLUMN sort_key TEXT COLLATE "C" NOT NULL DEFAULT '';
