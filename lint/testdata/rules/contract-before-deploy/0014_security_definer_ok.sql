-- safe: before_deploy
-- The reporting role may count events, and nothing else may call it.
CREATE FUNCTION event_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM events $$;
REVOKE EXECUTE ON FUNCTION event_count FROM PUBLIC;
GRANT EXECUTE ON FUNCTION event_count() TO reporting;
CREATE TABLE event_archive (id bigserial PRIMARY KEY, payload jsonb);
REVOKE ALL ON event_archive, event_archive_id_seq FROM PUBLIC;
