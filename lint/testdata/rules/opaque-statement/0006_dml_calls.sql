-- safe: always
INSERT INTO accounts (email) SELECT cleanup_email()::text; -- want "opaque-statement" "contract-before-deploy"
UPDATE accounts SET name = lower(name) WHERE id = stale_account_id(); -- want "opaque-statement" "contract-before-deploy"
