-- safe: always
-- transaction: false
VACUUM (ANALYZE) users;
