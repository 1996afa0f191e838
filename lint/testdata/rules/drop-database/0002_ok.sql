-- safe: always
COMMENT ON DATABASE current_database IS 'app';
