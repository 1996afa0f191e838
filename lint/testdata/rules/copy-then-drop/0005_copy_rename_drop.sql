-- safe: after_deploy
CREATE TABLE carts_new (id bigint PRIMARY KEY, items jsonb); -- want "expand-after-deploy"
INSERT INTO carts_new SELECT id, items FROM carts;
ALTER TABLE carts RENAME TO carts_old; -- want "rename-table"
DROP TABLE carts_old; -- want "copy-then-drop" "drop-table"
