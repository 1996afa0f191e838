-- safe: before_deploy
ALTER TABLE accounts ALTER COLUMN note TYPE text;
