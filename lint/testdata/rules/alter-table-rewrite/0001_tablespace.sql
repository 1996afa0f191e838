-- safe: always
ALTER TABLE users SET TABLESPACE fast_ssd; -- want "alter-table-rewrite"
