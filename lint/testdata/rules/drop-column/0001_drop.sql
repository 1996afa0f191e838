-- safe: after_deploy
ALTER TABLE users DROP COLUMN fax; -- want "drop-column"
