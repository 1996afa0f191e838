-- safe: after_deploy
-- transaction: false
CREATE INDEX CONCURRENTLY users_email ON users (email);
