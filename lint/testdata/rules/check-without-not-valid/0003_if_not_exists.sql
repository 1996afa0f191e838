-- safe: before_deploy
CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, age int);
ALTER TABLE users ADD CONSTRAINT age_below_150 CHECK (age < 150); -- want "check-without-not-valid"
