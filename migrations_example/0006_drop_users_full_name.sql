-- safe: after_deploy
-- delay: 7d
--
-- Contract: old code still selects full_name until the deploy is done, and
-- we keep it a week in case of a rollback.

-- safemigrate:ignore drop-column -- replaced by display_name (0003/0004); kept 7 days by the delay
ALTER TABLE users DROP COLUMN IF EXISTS full_name;
