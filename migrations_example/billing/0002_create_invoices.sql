-- safe: before_deploy
-- depends: 0001_create_accounts

CREATE TABLE invoices (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint      NOT NULL REFERENCES accounts (id),
    plan_code    text        NOT NULL REFERENCES plans (code),
    total        numeric(12, 2),
    total_cents  bigint,
    status       text        NOT NULL DEFAULT 'draft',
    issued_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX invoices_account_id_idx ON invoices (account_id);
