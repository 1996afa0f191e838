-- safe: before_deploy
CREATE TABLE events (id serial PRIMARY KEY, kind text NOT NULL);
CREATE VIEW recent_events AS SELECT id, kind FROM events;
