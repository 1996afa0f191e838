-- safe: before_deploy
CREATE TABLE regions (code text PRIMARY KEY);
COPY regions FROM '/srv/data/regions.csv' WITH (FORMAT csv);
INSERT INTO regions VALUES ('eu'), ('us');
