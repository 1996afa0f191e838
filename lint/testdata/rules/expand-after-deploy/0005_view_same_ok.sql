-- safe: after_deploy
DROP VIEW account_emails;
CREATE VIEW account_emails AS SELECT id, email, updated_at FROM accounts WHERE email <> '';
