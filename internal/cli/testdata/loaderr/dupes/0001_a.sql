-- safe: always
SELECT 1;
