-- safe: before_deploy
ALTER TABLE users ADD CONSTRAINT users_login_key UNIQUE USING INDEX users_login_idx;
