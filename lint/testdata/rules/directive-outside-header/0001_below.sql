-- safe: before_deploy
CREATE TABLE a (id int);
-- transaction: false
-- want@3 "directive-outside-header"
