-- safe: before_deploy
CREATE INDEX users_email ON users (email); -- want "require-concurrent-index"
