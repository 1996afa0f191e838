-- safe: before_deploy
SET LOCAL timezone = 'UTC';
ALTER TABLE audit_log ALTER COLUMN seen_at TYPE timestamptz;
