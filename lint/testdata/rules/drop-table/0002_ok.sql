-- safe: always
CREATE TABLE scratch (a int);
DROP TABLE scratch;
