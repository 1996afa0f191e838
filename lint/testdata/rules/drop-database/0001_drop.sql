-- safe: after_deploy
-- transaction: false
DROP DATABASE IF EXISTS old_app; -- want "drop-database"
