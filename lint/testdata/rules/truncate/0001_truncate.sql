-- safe: always
TRUNCATE audit_log; -- want "truncate"
