-- safe: before_deploy
-- transaction: false
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name ON users (name);
