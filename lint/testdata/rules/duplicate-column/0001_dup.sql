-- safe: before_deploy
CREATE TABLE t (id int, note text, note text); -- want "duplicate-column"
ALTER TABLE users ADD COLUMN a text, ADD COLUMN a int; -- want "duplicate-column"
UPDATE users SET a = 1, a = 2 WHERE id = 1; -- want "duplicate-column"
