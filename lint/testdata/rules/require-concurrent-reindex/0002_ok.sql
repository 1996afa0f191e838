-- safe: always
-- transaction: false
REINDEX INDEX CONCURRENTLY users_name;
