-- safe: always
-- depends: 0001
SELECT 2;
