-- safe: before_deploy
-- +goose Up
-- +goose StatementBegin
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text
);
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION users_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
INSERT INTO audit VALUES ('down ran: 20230102120000_create_users');
DROP TABLE users;
-- +goose StatementEnd
