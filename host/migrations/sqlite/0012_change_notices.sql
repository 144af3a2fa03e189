-- Change notices go between instances on PostgreSQL (see that backend's 0012); SQLite runs
-- one instance, so there is nothing to add. The file keeps both backends' numbering equal.
SELECT 1;
