-- safe: after_deploy
-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY users_email ON users (email);

-- +goose Down
INSERT INTO audit VALUES ('down ran: 20230103120000_index_users_email');
DROP INDEX CONCURRENTLY users_email;
