-- safe: always
ALTER TABLE users CLUSTER ON users_pkey;
