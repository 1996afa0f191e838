-- safe: before_deploy
-- transaction: true
CREATE TABLE b (id int);
-- todo: not a directive key
