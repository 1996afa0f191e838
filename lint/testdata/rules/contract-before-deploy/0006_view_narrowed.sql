-- safe: always
DROP VIEW recent_events;
CREATE VIEW recent_events AS SELECT id FROM events; -- want "contract-before-deploy"
