-- safe: before_deploy

CREATE TABLE users (id bigint PRIMARY KEY, email text, payload json);
CREATE INDEX users_email ON users (email);
