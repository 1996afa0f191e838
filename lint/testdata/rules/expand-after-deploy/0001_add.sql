-- safe: after_deploy
ALTER TABLE users ADD COLUMN nickname text; -- want "expand-after-deploy"
