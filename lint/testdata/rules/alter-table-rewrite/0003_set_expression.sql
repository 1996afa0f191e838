-- safe: before_deploy
CREATE TABLE prices (id bigint PRIMARY KEY, net numeric, total numeric GENERATED ALWAYS AS (net * 1.2) STORED);
