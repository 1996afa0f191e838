-- safe: after_deploy
-- Retire the legacy role: hand its objects over, drop what is left.
REASSIGN OWNED BY legacy_app TO app; -- want "opaque-statement"
DROP OWNED BY legacy_app; -- want "opaque-statement"
ALTER EXTENSION postgis UPDATE TO '3.4.0'; -- want "opaque-statement"
CREATE EVENT TRIGGER no_drops ON sql_drop EXECUTE FUNCTION forbid_drop(); -- want "opaque-statement"
SECURITY LABEL FOR selinux ON TABLE accounts IS 'system_u:object_r:sepgsql_table_t:s0'; -- want "opaque-statement"
TRUNCATE accounts CASCADE; -- want "opaque-statement" "truncate"
