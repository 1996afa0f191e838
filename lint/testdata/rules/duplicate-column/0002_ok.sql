-- safe: before_deploy
CREATE TABLE t2 (id int, note text);
ALTER TABLE users ADD COLUMN b text, ADD COLUMN c int;
UPDATE users SET b = 1, c = 2 WHERE id = 1;
INSERT INTO users (b, c) VALUES (1, 2);
