-- safe: befor_deploy
CREATE TABLE a (id int);
-- want@1 "invalid-directive"
