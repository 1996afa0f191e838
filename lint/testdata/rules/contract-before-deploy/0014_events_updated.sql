-- safe: before_deploy
ALTER TABLE events ADD COLUMN updated_at timestamptz;
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER events_updated BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE FUNCTION event_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM events $$;
