-- Whether a team had no leader serving on the day its findings are for (`as_of`), stored with
-- the findings so that the home page counts and lists leaderless teams from `team_checks`
-- instead of searching every team's memberships in the scope (148 ms for the country's 74,422
-- teams; docs/BENCHMARKS.md). It is kept current by the same marks as the findings
-- (migration 0011): a change of the team or its memberships marks the row stale. Every row is
-- marked now, so that none reads as "has a leader" before it has been computed.
ALTER TABLE team_checks ADD COLUMN leaderless INTEGER NOT NULL DEFAULT 0;
CREATE INDEX team_checks_leaderless ON team_checks (team_id) WHERE leaderless = 1;
UPDATE team_checks SET stale = 1, generation = generation + 1;
