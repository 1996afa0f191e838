-- safe: after_deploy
-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY users_email ON users (email);

-- migrate:down
INSERT INTO audit VALUES ('down ran: 20230103120000_index_users_email');
DROP INDEX CONCURRENTLY users_email;
