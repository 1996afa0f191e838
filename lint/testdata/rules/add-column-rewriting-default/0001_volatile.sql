-- safe: before_deploy
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid(); -- want "add-column-rewriting-default"
