-- safe: before_deploy
-- transaction: false
CREATE INDEX CONCURRENTLY users_email ON users (email); -- want "not-rerunnable"
