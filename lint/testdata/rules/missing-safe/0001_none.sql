-- want "missing-safe"
CREATE TABLE a (id int);
