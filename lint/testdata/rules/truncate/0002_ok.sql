-- safe: before_deploy
CREATE TABLE staging (a int);
TRUNCATE staging;
