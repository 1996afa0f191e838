-- safe: always
-- transaction: false
DROP INDEX CONCURRENTLY IF EXISTS users_name;
