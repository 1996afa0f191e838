-- safe: before_deploy
-- The session time zone is UTC: PostgreSQL 12+ relabels the column, no rewrite.
SET timezone = 'UTC';
ALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;
