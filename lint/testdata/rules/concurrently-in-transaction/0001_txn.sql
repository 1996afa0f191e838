-- safe: before_deploy
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email); -- want "concurrently-in-transaction"
