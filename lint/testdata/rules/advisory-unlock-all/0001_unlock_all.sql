-- safe: always
SELECT pg_advisory_lock(42);
UPDATE users SET a = 1 WHERE id = 1;
SELECT pg_advisory_unlock_all(); -- want "advisory-unlock-all"
