-- safe: before_deploy
ALTER TABLE events ALTER COLUMN seen_at TYPE timestamptz; -- want "change-column-type"
