-- safe: always
UPDATE users SET note = E'a\\b' WHERE id = 1;
