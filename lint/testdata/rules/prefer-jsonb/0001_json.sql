-- safe: before_deploy
CREATE TABLE payloads (id bigint, body json); -- want "prefer-jsonb"
