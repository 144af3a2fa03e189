-- Whether a team had no leader serving on the day its findings are for; see the SQLite
-- migration of the same number.
ALTER TABLE team_checks ADD COLUMN leaderless BIGINT NOT NULL DEFAULT 0;
CREATE INDEX team_checks_leaderless ON team_checks (team_id) WHERE leaderless = 1;
UPDATE team_checks SET stale = 1, generation = generation + 1;
