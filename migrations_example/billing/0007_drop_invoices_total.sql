-- safe: after_deploy
--
-- Contract: the new code reads total_cents only.

-- safemigrate:ignore drop-column -- replaced by total_cents, backfilled in 0006
ALTER TABLE invoices DROP COLUMN IF EXISTS total;
