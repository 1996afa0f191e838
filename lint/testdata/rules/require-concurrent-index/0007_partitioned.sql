-- safe: before_deploy
-- The hint cannot be CONCURRENTLY here: PostgreSQL refuses it on a partitioned table.
CREATE INDEX measurements_value ON measurements (value); -- want "require-concurrent-index"
