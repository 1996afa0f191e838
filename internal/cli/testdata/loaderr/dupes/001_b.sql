-- safe: always
SELECT 2;
