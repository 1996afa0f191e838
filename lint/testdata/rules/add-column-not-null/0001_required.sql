-- safe: after_deploy
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL; -- want "add-column-not-null"
