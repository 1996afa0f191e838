-- safe: before_deploy
CREATE TABLE counters (id bigserial PRIMARY KEY);
ALTER TABLE counters ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;
