-- safe: after_deploy
-- Re-created with a new column, as CREATE OR REPLACE VIEW would add it:
-- new code may select updated_at, so it belongs before the deploy.
DROP VIEW account_emails;
CREATE VIEW account_emails AS SELECT id, email, updated_at FROM accounts; -- want "expand-after-deploy"
