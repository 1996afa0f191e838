-- safe: before_deploy
-- transaction: false
--
-- New code looks users up by email. CONCURRENTLY keeps writes flowing while
-- the index builds; it cannot run inside a transaction.

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);
