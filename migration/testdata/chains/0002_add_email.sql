-- Adds the email column.
-- safe: before_deploy

ALTER TABLE users ADD COLUMN email text;
