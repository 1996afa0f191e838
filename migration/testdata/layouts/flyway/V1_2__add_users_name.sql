-- safe: before_deploy
ALTER TABLE users ADD COLUMN name text;
