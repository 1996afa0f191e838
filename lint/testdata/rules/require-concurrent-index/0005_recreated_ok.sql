-- safe: after_deploy
-- Dropped first: IF NOT EXISTS certainly creates it here.
DROP TABLE IF EXISTS audit_log; -- want "drop-table"
CREATE TABLE IF NOT EXISTS audit_log (id bigint PRIMARY KEY, note text); -- want "expand-after-deploy"
CREATE INDEX audit_log_note ON audit_log (note); -- want "expand-after-deploy"
