-- safe: before_deploy
CREATE TABLE tmp (a int, b int);
ALTER TABLE tmp DROP COLUMN b;
