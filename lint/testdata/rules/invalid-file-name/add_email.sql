-- safe: always
SELECT 1;
-- want@1 "invalid-file-name"
