-- 1.10 comes after 1.2: versions compare segment by segment.
-- safe: after_deploy
-- transaction: false
CREATE INDEX CONCURRENTLY users_name ON users (name);
