-- safe: before_deploy
-- The reports below need Paris time; the column change runs under it too.
SET TIME ZONE 'UTC';
SELECT set_config('timezone', 'Europe/Paris', false);
ALTER TABLE sessions ALTER COLUMN started_at TYPE timestamptz; -- want "change-column-type"
