-- safe: always
-- A DO block of static SQL is read through: nothing here is opaque.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reporting') THEN
    CREATE ROLE reporting;
  END IF;
  UPDATE settings SET value = 'on' WHERE key = 'feature_x';
  PERFORM pg_notify('settings', 'changed');
END
$$;
SELECT setval('settings_id_seq', (SELECT max(id) FROM settings)); -- want "non-rollbackable-call"
