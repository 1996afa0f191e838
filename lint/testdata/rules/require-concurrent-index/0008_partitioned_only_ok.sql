-- safe: before_deploy
-- transaction: false
-- The procedure the hint gives: the parent's index alone builds nothing.
CREATE INDEX IF NOT EXISTS measurements_taken_on ON ONLY measurements (taken_on);
CREATE INDEX CONCURRENTLY IF NOT EXISTS measurements_2024_taken_on ON measurements_2024 (taken_on);
ALTER INDEX measurements_taken_on ATTACH PARTITION measurements_2024_taken_on;
