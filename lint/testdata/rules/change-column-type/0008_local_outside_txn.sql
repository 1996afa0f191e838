-- safe: before_deploy
-- transaction: false
-- SET LOCAL does nothing outside a transaction: the zone is the server's.
SET LOCAL timezone = 'UTC';
ALTER TABLE audit_log ALTER COLUMN logged_at TYPE timestamptz; -- want "change-column-type"
