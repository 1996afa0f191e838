-- safe: before_deploy
ALTER TABLE users ADD COLUMN c text, ADD COLUMN d text;
