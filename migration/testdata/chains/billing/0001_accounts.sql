-- safe: always
-- depends: 0002
CREATE TABLE accounts (id bigint);
