-- Why a member left the team ("chuyển công tác", "xin thôi"), recorded with the day they left
-- and shown in the team's list of former members. NULL while serving, and for departures
-- recorded before this column existed.
ALTER TABLE memberships ADD COLUMN left_reason TEXT;
