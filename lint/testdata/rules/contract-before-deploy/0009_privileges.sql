-- safe: always
-- Lock the events table down before the new reporting role reads it.
REVOKE ALL ON events FROM PUBLIC; -- want "contract-before-deploy"
ALTER TABLE events ENABLE ROW LEVEL SECURITY; -- want "contract-before-deploy"
ALTER TABLE events DROP CONSTRAINT events_pkey; -- want "contract-before-deploy"
