-- safe: after_deploy
-- Drop the legacy audit tables, whatever their names are.
DO $$
DECLARE
  t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE tablename LIKE 'audit_2019_%' LOOP
    EXECUTE format('DROP TABLE %I', t); -- want "opaque-statement"
  END LOOP;
END
$$;
CALL archive_orders(2019); -- want "opaque-statement"
SELECT create_hypertable('metrics', 'time'); -- want "opaque-statement"
