-- safe: before_deploy
ALTER TABLE accounts ALTER COLUMN name TYPE varchar(100);
