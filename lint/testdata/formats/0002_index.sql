-- safe: before_deploy
-- 100% of writes, with commas, and colons: here
CREATE INDEX users_email2 ON users (email);
ALTER TABLE users DROP COLUMN payload;
