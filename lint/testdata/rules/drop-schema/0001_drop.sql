-- safe: after_deploy
DROP SCHEMA reporting CASCADE; -- want "drop-schema"
