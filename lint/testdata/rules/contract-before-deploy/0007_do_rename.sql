-- safe: always
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'kind') THEN
    ALTER TABLE events RENAME COLUMN kind TO event_kind; -- want "contract-before-deploy" "rename-column"
  END IF;
END
$$;
