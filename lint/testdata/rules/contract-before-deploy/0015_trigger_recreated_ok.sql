-- safe: always
-- Dropped and created again in the same transaction: old code never sees
-- the trigger or the function missing, and the function returns what it did.
DROP TRIGGER IF EXISTS events_updated ON events;
CREATE TRIGGER events_updated BEFORE INSERT OR UPDATE ON events FOR EACH ROW EXECUTE FUNCTION set_updated_at();
DROP FUNCTION IF EXISTS event_count();
CREATE FUNCTION event_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM events WHERE kind <> 'test' $$;
