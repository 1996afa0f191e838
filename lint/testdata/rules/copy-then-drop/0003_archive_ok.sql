-- safe: before_deploy
-- Copies, but keeps the source: nothing is lost.
CREATE TABLE visits_archive AS SELECT * FROM visits;
