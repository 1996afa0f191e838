-- safe: after_deploy
CREATE TABLE sessions_new AS SELECT id, user_id, data FROM sessions WHERE user_id IS NOT NULL; -- want "expand-after-deploy"
DROP TABLE sessions; -- want "copy-then-drop" "drop-table"
ALTER TABLE sessions_new RENAME TO sessions; -- want "expand-after-deploy"
