-- safe: before_deploy
SET timezone TO 'UTC';
RESET ALL;
ALTER TABLE audit_log ALTER COLUMN checked_at TYPE timestamptz; -- want "change-column-type"
