-- safe: before_deploy
ALTER TABLE users DROP COLUMN email; -- want "contract-before-deploy" "drop-column"
