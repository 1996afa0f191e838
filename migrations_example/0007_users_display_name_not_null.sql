-- safe: after_deploy
--
-- Contract: old code inserts users without display_name. The CHECK is
-- added NOT VALID (no scan under lock), validated separately, after which
-- SET NOT NULL skips its own scan (PostgreSQL 12+).

UPDATE users SET display_name = email WHERE display_name IS NULL;
ALTER TABLE users ADD CONSTRAINT users_display_name_not_null CHECK (display_name IS NOT NULL) NOT VALID;
