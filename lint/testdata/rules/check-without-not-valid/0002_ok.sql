-- safe: before_deploy
ALTER TABLE users ADD CONSTRAINT age_small CHECK (age < 200) NOT VALID;
