-- safe: before_deploy

CREATE TABLE users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES accounts (id),
    email      text        NOT NULL,
    full_name  text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX users_account_id_idx ON users (account_id);
