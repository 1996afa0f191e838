-- safe: before_deploy
ALTER TABLE users DROP COLUMN email;
