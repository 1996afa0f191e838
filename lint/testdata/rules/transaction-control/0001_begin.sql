-- safe: always
BEGIN; -- want "transaction-control"
UPDATE users SET a = 1 WHERE id = 1;
COMMIT; -- want "transaction-control"
