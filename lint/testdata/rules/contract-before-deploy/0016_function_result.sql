-- safe: always
-- event_count returned bigint: old code reading it as a number fails.
DROP FUNCTION IF EXISTS event_count(); -- want "contract-before-deploy"
CREATE FUNCTION event_count() RETURNS text LANGUAGE sql AS $$ SELECT count(*)::text FROM events $$; -- want "contract-before-deploy"
