-- safe: before_deploy
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email); -- want "unique-without-using-index"
