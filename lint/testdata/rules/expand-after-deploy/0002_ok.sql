-- safe: before_deploy
ALTER TABLE users ADD COLUMN nickname2 text;
