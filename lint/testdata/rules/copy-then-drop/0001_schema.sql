-- safe: before_deploy
CREATE TABLE sessions (id bigint PRIMARY KEY, user_id bigint, data text);
CREATE TABLE visits (id bigint PRIMARY KEY, path text);
CREATE TABLE carts (id bigint PRIMARY KEY, items jsonb);
