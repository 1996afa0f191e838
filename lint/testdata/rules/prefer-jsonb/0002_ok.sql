-- safe: before_deploy
CREATE TABLE payloads2 (id bigint, body jsonb, note text);
