-- safe: after_deploy
-- delay: 7d
--
-- Contract: old code still selects full_name until the deploy is done, and
-- we keep it a week in case of a rollback.

ALTER TABLE users DROP COLUMN IF EXISTS full_name;
