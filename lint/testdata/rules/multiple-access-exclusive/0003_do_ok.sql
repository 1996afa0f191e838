-- safe: before_deploy
ALTER TABLE users ADD COLUMN e text;
DO $$
BEGIN
  ALTER TABLE users ADD COLUMN f text;
END
$$;
ALTER TABLE users ADD COLUMN g text;
