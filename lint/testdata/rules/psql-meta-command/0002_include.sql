-- safe: always
UPDATE users SET a = 1 WHERE id = 1;
\i 0003_more.sql -- want "psql-meta-command"
