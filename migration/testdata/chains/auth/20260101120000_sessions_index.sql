-- transaction: false
-- safe: before_deploy
CREATE INDEX CONCURRENTLY sessions_user ON sessions (user_id);
