-- safe: before_deploy
-- An "idempotent" constraint: the DO block does not hide its lock.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'accounts_slug_key') THEN
    ALTER TABLE accounts ADD CONSTRAINT accounts_slug_key UNIQUE (slug); -- want "unique-without-using-index"
  END IF;
END
$$;
