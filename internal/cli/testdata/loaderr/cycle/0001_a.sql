-- safe: always
-- depends: billing/0001
SELECT 1;
