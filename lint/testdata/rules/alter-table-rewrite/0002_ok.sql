-- safe: always
ALTER TABLE users SET (fillfactor = 90);
