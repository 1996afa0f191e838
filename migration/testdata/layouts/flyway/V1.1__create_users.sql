-- safe: before_deploy
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text
);
