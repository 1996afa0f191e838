-- safe: before_deploy
CREATE TABLE b (id int);
