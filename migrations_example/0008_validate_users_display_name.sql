-- safe: after_deploy

ALTER TABLE users VALIDATE CONSTRAINT users_display_name_not_null;
ALTER TABLE users ALTER COLUMN display_name SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_display_name_not_null;
