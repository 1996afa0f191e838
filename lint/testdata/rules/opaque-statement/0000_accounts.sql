-- safe: before_deploy
CREATE TABLE accounts (id bigint PRIMARY KEY, email text UNIQUE, name text);
