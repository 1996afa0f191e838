-- safe: before_deploy
SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE;
ALTER TABLE sessions ALTER COLUMN ended_at TYPE timestamptz;
