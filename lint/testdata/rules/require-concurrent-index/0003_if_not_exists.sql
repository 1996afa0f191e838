-- safe: before_deploy
-- t exists since 0002: IF NOT EXISTS makes this a no-op, and t is not new.
CREATE TABLE IF NOT EXISTS t (id int, v text);
CREATE INDEX t_id ON t (id); -- want "require-concurrent-index"
