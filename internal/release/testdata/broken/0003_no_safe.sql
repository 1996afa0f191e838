CREATE INDEX users_email ON users (id);
