-- safe: after_deploy
ALTER TABLE users ALTER COLUMN email SET NOT NULL; -- want "set-not-null"
