-- safe: always
UPDATE users SET a = 1 WHERE id = 2;
