-- safe: after_deploy
ALTER TABLE users RENAME COLUMN name TO full_name; -- want "rename-column"
