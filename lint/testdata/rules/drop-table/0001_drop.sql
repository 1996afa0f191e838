-- safe: after_deploy
DROP TABLE IF EXISTS legacy_sessions; -- want "drop-table"
