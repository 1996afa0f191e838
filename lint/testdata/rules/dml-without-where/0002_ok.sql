-- safe: always
UPDATE users SET flag = false WHERE id BETWEEN 1 AND 10000;
