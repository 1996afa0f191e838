-- safe: before_deploy
-- The first migration of the history: nothing earlier can have created
-- audit, so IF NOT EXISTS creates it here and the index is on a new table.
CREATE TABLE IF NOT EXISTS audit (id bigint PRIMARY KEY, at timestamptz);
CREATE INDEX audit_at ON audit (at);
ALTER TABLE audit ADD COLUMN who text NOT NULL;
