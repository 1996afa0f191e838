-- safe: before_deploy
-- depends: 000002
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint);
