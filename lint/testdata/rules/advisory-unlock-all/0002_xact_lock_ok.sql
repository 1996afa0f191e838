-- safe: always
SELECT pg_advisory_xact_lock(42);
UPDATE users SET a = 1 WHERE id = 1;
