-- safe: after_deploy
--
-- Contract: the new code reads total_cents only.

ALTER TABLE invoices DROP COLUMN IF EXISTS total;
