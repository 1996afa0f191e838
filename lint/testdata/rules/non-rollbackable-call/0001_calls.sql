-- safe: always
SELECT setval('users_id_seq', (SELECT max(id) FROM users)); -- want "non-rollbackable-call"
INSERT INTO users (id) VALUES (nextval('users_id_seq')); -- want "non-rollbackable-call"
SELECT pg_advisory_lock(7);
SELECT pg_advisory_unlock(7); -- want "non-rollbackable-call"
SELECT * FROM dblink('dbname=other', 'SELECT 1') AS r(a int); -- want "non-rollbackable-call"
