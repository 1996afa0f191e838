-- safe: before_deploy
-- note: an ordinary comment
CREATE TABLE b (id int);
