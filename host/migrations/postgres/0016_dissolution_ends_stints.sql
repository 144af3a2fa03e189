-- A dissolved team has nobody serving: dissolving a team now ends every stint still open on
-- the day of the dissolution, with 'Tổ giải thể' as the reason (teams::update,
-- members::end_at_dissolution). Teams dissolved before that left their members serving; their
-- stints end here the same way, and each is recorded in the audit trail as the host records
-- it (actor 'sohoa migration 0016'). A stint that began after the recorded day of dissolution
-- (refused since, possible in older data) is left for a person to correct.
INSERT INTO audit_log (at, user_id, actor, action, entity, entity_id, unit_id, before_json, after_json, reason)
SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), NULL, 'sohoa migration 0016', 'update', 'member',
       m.id::TEXT, t.unit_id,
       json_build_object('id', m.id, 'team_id', m.team_id, 'left_on', NULL, 'left_reason', NULL)::TEXT,
       json_build_object('id', m.id, 'team_id', m.team_id, 'left_on', t.status_date, 'left_reason', 'Tổ giải thể')::TEXT,
       'the team was dissolved on ' || t.status_date
  FROM memberships m JOIN teams t ON t.id = m.team_id
 WHERE t.status = 'dissolved' AND t.status_date IS NOT NULL
   AND m.left_on IS NULL AND m.joined_on <= t.status_date
 ORDER BY m.id;

UPDATE memberships m
   SET left_on = t.status_date, left_reason = 'Tổ giải thể'
  FROM teams t
 WHERE t.id = m.team_id AND t.status = 'dissolved' AND t.status_date IS NOT NULL
   AND m.left_on IS NULL AND m.joined_on <= t.status_date;
