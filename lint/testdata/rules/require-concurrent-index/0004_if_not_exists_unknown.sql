-- safe: before_deploy
-- Nothing says whether accounts exists: it may hold rows already.
CREATE TABLE IF NOT EXISTS accounts (id bigint PRIMARY KEY, owner text);
CREATE INDEX accounts_owner ON accounts (owner); -- want "require-concurrent-index"
