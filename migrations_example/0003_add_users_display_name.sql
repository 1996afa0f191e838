-- safe: before_deploy
--
-- Expand: the new code reads display_name and falls back to full_name.
-- A nullable column without a default is a catalog-only change.

ALTER TABLE users ADD COLUMN display_name text;
