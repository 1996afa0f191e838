CREATE TABLE sessions (id bigint, user_id bigint);
