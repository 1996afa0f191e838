-- safe: before_deploy
CREATE TABLE audit_log (id bigint PRIMARY KEY, logged_at timestamp NOT NULL, checked_at timestamp, seen_at timestamp);
