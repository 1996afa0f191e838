-- safe: after_deploy
-- delay: 7d
-- depends: billing/0002
ALTER TABLE users DROP COLUMN legacy;
