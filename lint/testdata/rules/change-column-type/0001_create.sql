-- safe: before_deploy
CREATE TABLE accounts (id int PRIMARY KEY, name varchar(50), code varchar(10), note varchar(20));
