-- safe: after_deploy
ALTER TABLE customers RENAME TO clients; -- want "rename-table"
