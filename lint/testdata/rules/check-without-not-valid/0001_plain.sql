-- safe: before_deploy
ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0); -- want "check-without-not-valid"
