-- safe: before_deploy
-- A snapshot table, a report view filled now, and a score for every account.
CREATE TABLE accounts_snapshot AS SELECT id, app.account_score(id) AS score FROM accounts; -- want "opaque-statement" "contract-before-deploy"
CREATE MATERIALIZED VIEW account_report AS SELECT pg_account_summary(); -- want "opaque-statement" "contract-before-deploy"
ALTER TABLE accounts ADD COLUMN score int DEFAULT app.initial_score(); -- want "opaque-statement" "contract-before-deploy" "add-column-rewriting-default"
SELECT public.to_char(1); -- want "opaque-statement" "contract-before-deploy"
