-- safe: before_deploy
CREATE TABLE sessions (id bigint PRIMARY KEY, started_at timestamp NOT NULL, ended_at timestamp);
