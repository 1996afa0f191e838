-- safe: after_deploy
ALTER TABLE users DROP COLUMN legacy; -- safemigrate:ignore drop-column -- unused since v2
