-- safe: before_deploy
CREATE TABLE events (id serial PRIMARY KEY, kind text NOT NULL, happened_at timestamp NOT NULL, seen_at timestamp);
