-- safe: always
ALTER TABLE users VALIDATE CONSTRAINT users_name_nn;
