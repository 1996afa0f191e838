-- safe: before_deploy
-- depends: billing/0001_accounts
CREATE TABLE invoices (id bigint);
