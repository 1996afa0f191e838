-- safe: always
REINDEX INDEX users_email; -- want "require-concurrent-reindex"
