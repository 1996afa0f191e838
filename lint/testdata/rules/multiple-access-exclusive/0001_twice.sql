-- safe: before_deploy
ALTER TABLE users ADD COLUMN a text;
ALTER TABLE users ADD COLUMN b text; -- want "multiple-access-exclusive"
