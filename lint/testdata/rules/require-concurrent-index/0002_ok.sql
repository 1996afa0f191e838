-- safe: before_deploy
CREATE TABLE t (id int, v text);
CREATE INDEX t_v ON t (v);
