-- safe: before_deploy
CREATE TABLE audit (note text NOT NULL);
