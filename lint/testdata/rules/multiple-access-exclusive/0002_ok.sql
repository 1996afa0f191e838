-- safe: before_deploy
ALTER TABLE users ADD COLUMN c text;
ALTER TABLE users ADD COLUMN d text;
