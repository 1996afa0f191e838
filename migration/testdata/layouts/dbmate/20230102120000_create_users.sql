-- safe: before_deploy
-- migrate:up
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text
);

-- migrate:down
INSERT INTO audit VALUES ('down ran: 20230102120000_create_users');
DROP TABLE users;
