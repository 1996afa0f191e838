-- safe: before_deploy
ALTER TABLE users ADD COLUMN a text;
UPDATE users SET a = name WHERE id < 1000;
ALTER TABLE users ALTER COLUMN a SET DEFAULT ''; -- want "multiple-access-exclusive"
