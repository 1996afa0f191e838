-- safe: always
\set ON_ERROR_STOP on -- want "psql-meta-command"
UPDATE users SET a = 1 WHERE id = 1;
