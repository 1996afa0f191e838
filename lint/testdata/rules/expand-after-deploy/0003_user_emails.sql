-- safe: before_deploy
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz);
CREATE VIEW account_emails AS SELECT id, email FROM accounts;
